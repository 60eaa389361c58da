import Dispatch
import HookKit
import HookKitSystem

/// A failure of the event store (opening it, or making an append durable).
package struct EventStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What failed.
    package var message: String

    /// Creates an error.
    package init(_ message: String) { self.message = message }

    /// The message.
    package var description: String { message }
}

/// A durable, idempotent event store: a JSONL file (one minified event per line) plus in-memory
/// indexes rebuilt from it at start.
///
/// - Durability: ``append(_:)`` returns only after the events are written and `fdatasync`ed.
///   Appends from concurrent callers are group-committed: a writer thread takes the lines of
///   every waiting caller, writes them with one `write` and one sync, then wakes those callers;
///   an fsync costs about 0.2 ms here, so throughput grows with concurrency instead of being
///   capped at one event per sync. Call ``close()`` to stop the writer and release the file.
/// - Idempotence: an index of every `event_uuid` (16 bytes per UUID, see ``EventKey``) answers
///   "duplicate" for an event already stored or being stored; a duplicate of an event still in
///   flight is answered only once that event is durable.
/// - Reads: an index of line offsets, global and per session; lines are read back with `pread`.
/// - Recovery: lines that are not valid events are skipped with a warning; a torn last line (no
///   newline: a crash during a write that was never acknowledged) is cut off with a warning, or
///   completed with its newline when it happens to be a whole valid event.
/// - One process per store: the file is locked with `flock(LOCK_EX)`.
package final class EventStore: @unchecked Sendable {
    /// What ``append(_:)`` did with one event.
    package enum AppendOutcome: Sendable, Equatable {
        /// Newly stored (durable).
        case stored
        /// An event with this `event_uuid` was already stored (durable).
        case duplicate
    }

    /// What opening found in the file.
    package struct OpenReport: Sendable, Equatable {
        /// Events indexed.
        package var events = 0
        /// Lines skipped because they are not valid events or repeat an `event_uuid`.
        package var skippedLines = 0
        /// Bytes of a torn last line cut off.
        package var truncatedBytes = 0
        /// Human-readable warnings, one per problem.
        package var warnings: [String] = []
    }

    private struct Location {
        var offset: Int64
        var length: Int32
    }

    private struct Waiter {
        var batch: UInt64
        var semaphore: DispatchSemaphore
    }

    private struct Pending {
        var key: EventKey
        var sessionID: String
        var length: Int32
    }

    /// The file's path.
    package let path: String
    /// What opening the file found.
    package private(set) var openReport = OpenReport()
    private let file: FileDescriptor
    private let lock = ConditionLock()

    // Everything below is guarded by `lock`.
    private var keys: Set<EventKey> = []
    private var inFlight: [EventKey: UInt64] = [:]
    private var locations: [Location] = []
    private var sessions: [String: [Int32]] = [:]
    private var fileSize: Int64 = 0
    private var pendingBytes: [UInt8] = []
    private var pendingEvents: [Pending] = []
    private var openBatch: UInt64 = 1
    private var committedBatch: UInt64 = 0
    private var failedBatches: [UInt64: String] = [:]
    private var waiters: [Waiter] = []
    private var writerIdle = false
    private var closed = false
    private var writerStopped = false
    private var failure: String? = nil
    private var lastWriteFailure: String? = nil

    /// Opens (creating it if needed) the store at `path` and rebuilds the indexes from it.
    package init(path: String) throws(EventStoreError) {
        self.path = path
        let file: FileDescriptor
        var created = false
        do {
            file = try FileDescriptor.open(path, O_RDWR | O_APPEND)
        } catch Errno.noSuchFileOrDirectory {
            do {
                file = try FileDescriptor.open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL, permissions: 0o600)
                created = true
            } catch {
                throw EventStoreError("cannot create \(path): \(error)")
            }
        } catch {
            throw EventStoreError("cannot open \(path): \(error)")
        }
        self.file = file
        if flock(file.rawValue, LOCK_EX | LOCK_NB) != 0 {
            let error = Errno.current
            file.close()
            throw EventStoreError("cannot lock \(path) (is another hook-hub using it?): \(error)")
        }
        if created { EventStore.syncDirectory(of: path) }
        var report = OpenReport()
        do {
            try load(&report)
        } catch {
            file.close()
            throw error
        }
        self.openReport = report
        do {
            try DetachedThread.start { [self] in writerLoop() }
        } catch {
            file.close()
            throw EventStoreError("cannot start the writer thread: \(error)")
        }
    }

    /// The number of stored (durable) events.
    package var count: Int { lock.withLock { locations.count } }

    /// `nil` while the store accepts writes; otherwise why it stopped (a failed sync leaves the
    /// file in an unknown state, so the store refuses further writes until restarted).
    package var failureReason: String? { lock.withLock { failure } }

    /// Why the store cannot take writes now: ``failureReason``, or why the last write failed
    /// (a full disk, a file that may not grow) until a write succeeds again; nil when it can.
    package var writeProblem: String? { lock.withLock { failure ?? lastWriteFailure } }

    // MARK: Appending

    /// Stores the events that are not stored yet and returns, once all of them are durable,
    /// what happened to each (in order). A repeated `event_uuid` within `events` is a duplicate
    /// of the first. Throws when the write or sync failed; then none of the new events is stored.
    package func append(_ events: [ValidatedEvent]) throws(EventStoreError) -> [AppendOutcome] {
        lock.lock()
        if let failure {
            lock.unlock()
            throw EventStoreError("store unavailable: \(failure)")
        }
        if closed {
            lock.unlock()
            throw EventStoreError("store closed")
        }
        var outcomes: [AppendOutcome] = []
        outcomes.reserveCapacity(events.count)
        var waitFor: UInt64 = 0
        var batches: Set<UInt64> = []
        for event in events {
            if keys.contains(event.key) {
                outcomes.append(.duplicate)
                // A duplicate of an event still being written is answered once that is durable.
                if let batch = inFlight[event.key] {
                    waitFor = max(waitFor, batch)
                    batches.insert(batch)
                }
                continue
            }
            keys.insert(event.key)
            inFlight[event.key] = openBatch
            pendingBytes.append(contentsOf: event.line)
            pendingBytes.append(UInt8(ascii: "\n"))
            pendingEvents.append(
                Pending(key: event.key, sessionID: event.sessionID, length: Int32(clamping: event.line.count)))
            outcomes.append(.stored)
            waitFor = openBatch
            batches.insert(openBatch)
        }
        guard waitFor > 0 else {
            lock.unlock()
            return outcomes
        }
        // Hand the lines to the writer thread and sleep until the batch is durable. A semaphore
        // per caller wakes exactly the callers whose batch is done, without a thundering herd on
        // the lock.
        let semaphore = DispatchSemaphore(value: 0)
        waiters.append(Waiter(batch: waitFor, semaphore: semaphore))
        if writerIdle { lock.broadcast() }
        lock.unlock()
        semaphore.wait()
        let failed: String? = lock.withLock {
            for batch in batches { if let reason = failedBatches[batch] { return reason } }
            return nil
        }
        if let failed { throw EventStoreError(failed) }
        return outcomes
    }

    /// Writes what is pending with one write and one sync per round, and wakes the callers
    /// whose events became durable; runs until ``close()``.
    private func writerLoop() {
        lock.lock()
        while true {
            while pendingEvents.isEmpty, !closed {
                writerIdle = true
                lock.wait()
                writerIdle = false
            }
            if pendingEvents.isEmpty, closed { break }
            commitOpenBatch()
            var ready: [DispatchSemaphore] = []
            waiters.removeAll { waiter in
                guard waiter.batch <= committedBatch else { return false }
                ready.append(waiter.semaphore)
                return true
            }
            lock.unlock()
            for semaphore in ready { semaphore.signal() }
            lock.lock()
        }
        writerStopped = true
        lock.broadcast()
        lock.unlock()
    }

    /// Finishes pending writes, stops the writer thread and closes the file (which releases
    /// its lock). Later appends throw. Call at most once.
    package func close() {
        lock.lock()
        closed = true
        lock.broadcast()
        while !writerStopped { lock.wait() }
        lock.unlock()
        file.close()
    }

    /// Writes and syncs the open batch; called with the lock held, releases it while writing.
    private func commitOpenBatch() {
        let batch = openBatch
        openBatch += 1
        let bytes = pendingBytes
        let events = pendingEvents
        pendingBytes = []
        pendingEvents = []
        let start = fileSize
        lock.unlock()
        var error: String? = nil
        var syncFailed = false
        do {
            try file.writeAll(bytes)
        } catch let writeError {
            error = "write to \(path) failed: \(writeError)"
        }
        if error == nil {
            #if canImport(Darwin)
            let result = fcntl(file.rawValue, F_FULLFSYNC)
            #else
            let result = fdatasync(file.rawValue)
            #endif
            if result != 0 {
                error = "sync of \(path) failed: \(Errno.current)"
                syncFailed = true
            }
        }
        if error != nil {
            // Never leave a partial batch behind: cut the file back to the last committed line.
            if (try? file.truncate(to: start)) == nil { syncFailed = true }
        }
        lock.lock()
        if let error {
            for event in events {
                keys.remove(event.key)
                inFlight[event.key] = nil
            }
            failedBatches[batch] = error
            lastWriteFailure = error
            if syncFailed { failure = error }
        } else {
            lastWriteFailure = nil
            var offset = start
            locations.reserveCapacity(locations.count + events.count)
            for event in events {
                let index = Int32(truncatingIfNeeded: locations.count)
                locations.append(Location(offset: offset, length: event.length))
                sessions[event.sessionID, default: []].append(index)
                inFlight[event.key] = nil
                offset += Int64(event.length) + 1
            }
            fileSize = offset
        }
        committedBatch = batch
    }

    // MARK: Reading

    /// The newest `limit` events (oldest first) as a JSON array: of one session when
    /// `sessionID` is given, else across all sessions.
    package func jsonArray(sessionID: String?, limit: Int) throws(EventStoreError) -> [UInt8] {
        try jsonArray(sessionID: sessionID, limit: limit, maxBytes: .max).bytes
    }

    /// Like ``jsonArray(sessionID:limit:)``, but only the newest of those events whose lines
    /// together fit in `maxBytes` (at least one, whatever its size), so that an answer costs
    /// bounded memory; `omitted` says how many of the `limit` were left out.
    package func jsonArray(
        sessionID: String?, limit: Int, maxBytes: Int
    ) throws(EventStoreError) -> (bytes: [UInt8], omitted: Int) {
        var omitted = 0
        let wanted: [Location] = lock.withLock {
            let limit = max(0, limit)
            let newest: [Location]
            if let sessionID {
                guard let indexes = sessions[sessionID] else { return [] }
                newest = indexes.suffix(limit).map { locations[Int($0)] }
            } else {
                newest = Array(locations.suffix(limit))
            }
            var total = 0
            var first = newest.count
            while first > 0 {
                let size = Int(newest[first - 1].length) + 1
                if total + size > maxBytes, first < newest.count { break }
                total += size
                first -= 1
            }
            omitted = first
            return Array(newest[first...])
        }
        var output: [UInt8] = [UInt8(ascii: "[")]
        var index = 0
        while index < wanted.count {
            // Read runs of adjacent lines with one pread each.
            var end = index + 1
            while end < wanted.count,
                wanted[end].offset == wanted[end - 1].offset + Int64(wanted[end - 1].length) + 1,
                wanted[end].offset + Int64(wanted[end].length) - wanted[index].offset < 4 * 1024 * 1024
            {
                end += 1
            }
            let first = wanted[index], last = wanted[end - 1]
            let count = Int(last.offset + Int64(last.length) - first.offset)
            if output.count > 1 { output.append(UInt8(ascii: ",")) }
            let base = output.count
            output.append(contentsOf: repeatElement(0, count: count))
            var done = 0
            while done < count {
                let n: Int
                do {
                    n = try output.withUnsafeMutableBytes { raw throws(Errno) in
                        try file.read(
                            fromAbsoluteOffset: first.offset + Int64(done),
                            into: UnsafeMutableRawBufferPointer(rebasing: raw[(base + done)..<(base + count)]))
                    }
                } catch {
                    throw EventStoreError("read from \(path) failed: \(error)")
                }
                if n == 0 { throw EventStoreError("\(path) is shorter than its index") }
                done += n
            }
            // Adjacent lines are separated by newlines; in a JSON array they need commas.
            for i in base..<(base + count) where output[i] == UInt8(ascii: "\n") {
                output[i] = UInt8(ascii: ",")
            }
            index = end
        }
        output.append(UInt8(ascii: "]"))
        return (output, omitted)
    }

    // MARK: Opening

    private func load(_ report: inout OpenReport) throws(EventStoreError) {
        let bytes: [UInt8]
        do {
            bytes = try file.readAll()
        } catch {
            throw EventStoreError("cannot read \(path): \(error)")
        }
        var lineStart = 0
        var lineNumber = 0
        while lineStart < bytes.count {
            lineNumber += 1
            guard let newline = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) else {
                // A torn last line: the crash happened during a write that was never acknowledged.
                let tail = Array(bytes[lineStart...])
                if let event = try? ValidatedEvent(validating: tail), !keys.contains(event.key) {
                    do { try file.writeAll([UInt8(ascii: "\n")]); try file.sync() } catch {
                        throw EventStoreError("cannot repair \(path): \(error)")
                    }
                    addToIndex(event, offset: Int64(lineStart), length: tail.count, &report)
                    report.warnings.append("\(path):\(lineNumber): last line had no newline; completed it")
                } else {
                    do { try file.truncate(to: Int64(lineStart)); try file.sync() } catch {
                        throw EventStoreError("cannot repair \(path): \(error)")
                    }
                    report.truncatedBytes = tail.count
                    report.warnings.append(
                        "\(path):\(lineNumber): torn last line (\(tail.count) bytes, no newline) cut off")
                }
                break
            }
            let line = Array(bytes[lineStart..<newline])
            if line.isEmpty || line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                // Blank lines are harmless; skip them silently.
            } else if let event = try? ValidatedEvent(validating: line) {
                if keys.contains(event.key) {
                    report.skippedLines += 1
                    report.warnings.append("\(path):\(lineNumber): repeated event_uuid \(event.eventUUID) skipped")
                } else {
                    addToIndex(event, offset: Int64(lineStart), length: line.count, &report)
                }
            } else {
                report.skippedLines += 1
                report.warnings.append("\(path):\(lineNumber): not a valid event, skipped")
            }
            lineStart = newline + 1
        }
        do { fileSize = Int64(try file.status().st_size) } catch {
            throw EventStoreError("cannot stat \(path): \(error)")
        }
    }

    private func addToIndex(_ event: ValidatedEvent, offset: Int64, length: Int, _ report: inout OpenReport) {
        keys.insert(event.key)
        sessions[event.sessionID, default: []].append(Int32(truncatingIfNeeded: locations.count))
        locations.append(Location(offset: offset, length: Int32(clamping: length)))
        report.events += 1
    }

    /// Syncs the directory holding `path`, so that a newly created file survives a crash.
    private static func syncDirectory(of path: String) {
        let directory: String
        if let slash = path.lastIndex(of: "/") {
            directory = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            directory = "."
        }
        guard let fd = try? FileDescriptor.open(directory, O_RDONLY) else { return }
        try? fd.sync()
        fd.close()
    }
}
