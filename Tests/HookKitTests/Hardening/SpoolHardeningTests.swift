import Foundation
import HookKit
import HookKitHub
import HookKitSystem
import Testing

/// Issue 9, items 1, 2, 7 and 9: the spool's files and folder are the user's own, never a planted
/// link or a shared folder; one spool belongs to one hub; the queue holds no spurious empty lines.
@Suite struct SpoolHardeningTests {
    let sendEvent = Executables.path("send-event")
    let directory: String
    var spoolPath: String { directory + "/spool" }

    init() throws { directory = try makeTemporaryDirectory("spool-hardening") }

    func hook(_ input: String = #"{"session_id":"s","hook_event_name":"Stop"}"#, _ extra: [String: String] = [:])
        throws -> ProcessResult
    {
        try runProcess(
            sendEvent, [], stdin: Data(input.utf8),
            environment: [
                "CLAUDE_OBSERVABILITY_SPOOL": spoolPath, "CLAUDE_OBSERVABILITY_HUB": try HandOffTests.closedHub(),
                "CLAUDE_OBSERVABILITY_BACKOFF_BASE_MS": "60000", "CLAUDE_OBSERVABILITY_GIVE_UP_AFTER_MS": "1",
            ].merging(extra) { $1 })
    }

    func status(_ extra: [String: String] = [:]) throws -> JSONValue {
        let result = try runProcess(
            sendEvent, ["status", "--json"],
            environment: ["CLAUDE_OBSERVABILITY_SPOOL": spoolPath].merging(extra) { $1 })
        return try JSONValue.parse(Array(result.stdout))
    }

    func stopFlusher(_ spool: Spool) {
        if let pid = FlusherLock.holder(spool) { kill(pid, SIGKILL) }
    }

    func contents(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "<missing>" }

    // MARK: Item 1

    @Test func aQueueLinkIsNeitherWrittenThroughNorTruncated() throws {
        defer { removeTemporaryDirectory(directory) }
        let target = directory + "/precious.txt"
        try "precious\n".write(toFile: target, atomically: false, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: spoolPath, withIntermediateDirectories: false)
        chmod(spoolPath, 0o700)
        try FileManager.default.createSymbolicLink(atPath: spoolPath + "/queue.jsonl", withDestinationPath: target)
        let result = try hook()
        defer { stopFlusher(Spool(directory: spoolPath)) }
        #expect(result.status == 0 && result.stdout.isEmpty)
        let lines = result.stderrText.split(separator: "\n")
        #expect(lines.count == 1 && lines.first?.contains("symbolic link") == true, "\(lines)")
        #expect(contents(target) == "precious\n")
        // Compaction (which truncates a fully handled queue) refuses the link too.
        var state = SpoolState()
        #expect(throws: SpoolError.self) { try QueueCompaction.compact(Spool(directory: spoolPath), state: &state) }
        #expect(contents(target) == "precious\n")
    }

    @Test func deadLettersAreNotAppendedThroughALink() throws {
        defer { removeTemporaryDirectory(directory) }
        let spool = Spool(directory: spoolPath)
        let target = directory + "/bashrc"
        try "# rc\n".write(toFile: target, atomically: false, encoding: .utf8)
        try spool.append(Array(#"{"not an event"#.utf8))
        try FileManager.default.createSymbolicLink(atPath: spool.deadLetterPath, withDestinationPath: target)
        let hub = ScriptedHub()
        var flusher = Flusher(spool: spool, transport: hub, signer: nil, settings: DeliverySettings())
        guard case .backingOff = flusher.step() else {
            Issue.record("a dead letter that cannot be written is a failure with backoff")
            return
        }
        #expect(contents(target) == "# rc\n")
        #expect(flusher.state.lastError?.contains("symbolic link") == true, "\(flusher.state.lastError ?? "")")
        #expect(hub.requests.isEmpty)
    }

    @Test func aLinkPlantedAtTheOldTemporaryNameIsNotWrittenThrough() throws {
        defer { removeTemporaryDirectory(directory) }
        let spool = Spool(directory: spoolPath)
        try spool.prepare()
        let target = directory + "/target"
        try "keep\n".write(toFile: target, atomically: false, encoding: .utf8)
        // Before, the state was written to `state.json.tmp.<pid>` with O_CREAT|O_TRUNC.
        try FileManager.default.createSymbolicLink(
            atPath: spool.statePath + ".tmp.\(getpid())", withDestinationPath: target)
        var state = SpoolState()
        state.offset = 42
        try state.save(spool)
        #expect(contents(target) == "keep\n")
        #expect(SpoolState.load(spool).offset == 42)
        #expect(!FileSystem.isSymbolicLink(spool.statePath))
        // No temporary file is left behind.
        let names = try FileManager.default.contentsOfDirectory(atPath: spoolPath)
        #expect(names.filter { $0.hasPrefix("state.json.tmp.") } == ["state.json.tmp.\(getpid())"])
    }

    @Test func aSpoolFolderOthersCanWriteIsRefusedAndLeftUntouched() throws {
        defer { removeTemporaryDirectory(directory) }
        try FileManager.default.createDirectory(atPath: spoolPath, withIntermediateDirectories: false)
        chmod(spoolPath, 0o777)
        let result = try hook()
        #expect(result.status == 0 && result.stdout.isEmpty)
        let lines = result.stderrText.split(separator: "\n")
        #expect(lines.count == 1, "\(lines)")
        #expect(lines.first?.contains("refusing the spool folder \(spoolPath)") == true, "\(lines)")
        #expect(lines.first?.contains("mode 0777") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: spoolPath).isEmpty, "nothing written there")
        let json = try status()
        #expect(json["problem"]?.stringValue?.contains("group or others can write to it") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: spoolPath).isEmpty, "status writes nothing")
        // A new spool folder is made private.
        let fresh = directory + "/new/spool"
        _ = try hook(#"{"session_id":"s"}"#, ["CLAUDE_OBSERVABILITY_SPOOL": fresh])
        defer { stopFlusher(Spool(directory: fresh)) }
        #expect(try FileManager.default.attributesOfItem(atPath: fresh)[.posixPermissions] as? Int == 0o700)
    }

    @Test(.enabled(if: runningAsRoot, "needs root to give the folder to another user"))
    func aSpoolFolderOfAnotherUserIsRefused() throws {
        defer { removeTemporaryDirectory(directory) }
        try FileManager.default.createDirectory(atPath: spoolPath, withIntermediateDirectories: false)
        chmod(spoolPath, 0o700)
        #expect(chown(spoolPath, 65534, 65534) == 0)
        let result = try hook()
        #expect(result.status == 0)
        #expect(result.stderrText.contains("it belongs to uid 65534"), "\(result.stderrText)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: spoolPath).isEmpty)
        // A file of another user in our own folder is refused as well.
        #expect(chown(spoolPath, 0, 0) == 0)
        FileManager.default.createFile(atPath: spoolPath + "/queue.jsonl", contents: Data())
        #expect(chown(spoolPath + "/queue.jsonl", 65534, 65534) == 0)
        let second = try hook()
        #expect(second.stderrText.contains("cannot open \(spoolPath)/queue.jsonl: it belongs to uid 65534"))
        #expect(contents(spoolPath + "/queue.jsonl").isEmpty)
    }

    // MARK: Item 2

    @Test func withoutHomeTheSpoolIsInThePasswordDatabasesHomeNeverInTmp() throws {
        let home = try #require(UserAccount.homeDirectory(), "this user has a password database entry")
        let configuration = Configuration(environment: [:])
        #expect(configuration.spoolDirectory == home + "/" + Platform.stateFolder + "/http-localhost-4000")
        #expect(!configuration.spoolDirectory.hasPrefix("/tmp"))
        removeTemporaryDirectory(directory)
    }

    @Test(.enabled(if: runningAsRoot, "needs root to run the hook as a user without a password entry"))
    func withoutHomeAndPasswordEntryTheHookRefuses() throws {
        defer { removeTemporaryDirectory(directory) }
        let uid: UInt32 = 54_321
        #expect(UserAccount.homeDirectory(uid: uid) == nil, "uid \(uid) must have no password entry")
        chmod(directory, 0o755)
        removeTemporaryDirectory("/tmp/hookkit-\(uid)")  // the old fallback, which must stay unused
        let output = directory + "/stderr"
        // Python drops to that uid, without HOME, and runs the hook with the event on stdin.
        let script = """
            import os, sys
            os.setgroups([]); os.setgid(\(uid)); os.setuid(\(uid))
            env = {"PATH": "/usr/bin:/bin"}
            r, w = os.pipe()
            os.write(w, b'{"session_id":"nohome"}'); os.close(w)
            os.dup2(r, 0)
            err = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT, 0o666); os.dup2(err, 2)
            os.execve(sys.argv[1], [sys.argv[1]], env)
            """
        FileManager.default.createFile(atPath: output, contents: nil)
        chmod(output, 0o666)
        // A copy the other uid can reach: the build folder may sit below a folder only we can enter.
        let hook = directory + "/send-event"
        try FileManager.default.copyItem(atPath: sendEvent, toPath: hook)
        chmod(hook, 0o755)
        let result = try runProcess("/usr/bin/env", ["python3", "-c", script, hook, output])
        #expect(result.status == 0)
        let lines = contents(output).split(separator: "\n")
        #expect(lines.count == 1, "\(lines)")
        #expect(lines.first?.contains("no spool folder: HOME is unset and the password database has no home") == true)
        #expect(!FileManager.default.fileExists(atPath: "/tmp/hookkit-\(uid)"))
    }

    // MARK: Item 7

    @Test func statusCountsEventsNotNewlines() throws {
        defer { removeTemporaryDirectory(directory) }
        let spool = Spool(directory: spoolPath)
        _ = try queueEvents(3, in: spool)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: spool.queuePath))
        handle.seekToEndOfFile()
        handle.write(Data("\n\n".utf8))  // empty lines, as concurrent writers used to leave
        try handle.close()
        _ = try queueEvents(2, in: spool)
        #expect(SpoolStatus(spool: spool, hub: "h").queued == 5)
    }

    @Test func concurrentLargeAppendsLeaveNoEmptyLines() throws {
        defer { removeTemporaryDirectory(directory) }
        let spool = Spool(directory: spoolPath)
        try spool.prepare()
        // Records of many pages: the file grows page by page while one is copied in, which is
        // when another writer could take its last byte for a torn line.
        let writers = 8
        let each = 40
        let line =
            Array(#"{"event_uuid":"x","payload":""#.utf8) + [UInt8](repeating: 0x61, count: 96 * 1024) + [0x22, 0x7D]
        let failures = Locked(0)
        DispatchQueue.concurrentPerform(iterations: writers) { _ in
            do {
                let writer = try QueueWriter(spool: spool)
                defer { writer.close() }
                for _ in 0..<each { try writer.append(line) }
            } catch {
                failures.withLock { $0 += 1 }
            }
        }
        #expect(failures.withLock { $0 } == 0)
        let bytes = try #require(FileManager.default.contents(atPath: spool.queuePath))
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == writers * each, "\(lines.count - writers * each) empty lines")
        #expect(lines.allSatisfy { $0.count == line.count })
        #expect(SpoolStatus(spool: spool, hub: "h").queued == writers * each)
    }

    // MARK: Item 9

    @Test func oneSpoolBelongsToOneHub() throws {
        defer { removeTemporaryDirectory(directory) }
        let hubA = "http://127.0.0.1:9/a"
        let hubB = "http://127.0.0.1:9/b"
        let first = try hook(#"{"session_id":"a"}"#, ["CLAUDE_OBSERVABILITY_HUB": hubA])
        defer { stopFlusher(Spool(directory: spoolPath)) }
        #expect(first.status == 0 && first.stderrText.isEmpty, "\(first.stderrText)")
        #expect(contents(spoolPath + "/hub.url") == "http://127.0.0.1:9/a\n")
        let second = try hook(#"{"session_id":"b"}"#, ["CLAUDE_OBSERVABILITY_HUB": hubB])
        #expect(second.status == 0 && second.stdout.isEmpty)
        let lines = second.stderrText.split(separator: "\n")
        #expect(lines.count == 1, "\(lines)")
        #expect(lines.first?.contains("belongs to the hub http://127.0.0.1:9/a, not to \(hubB)") == true, "\(lines)")
        #expect(try spoolLines(spoolPath + "/queue.jsonl").count == 1, "the event for the other hub is not queued")
        // The same hub written differently is the same hub.
        let third = try hook(#"{"session_id":"a"}"#, ["CLAUDE_OBSERVABILITY_HUB": "HTTP://127.0.0.1:9/a/"])
        #expect(third.stderrText.isEmpty, "\(third.stderrText)")
        // status says so; a flush for the other hub refuses too.
        let json = try status(["CLAUDE_OBSERVABILITY_HUB": hubB])
        #expect(json["problem"]?.stringValue?.contains("belongs to the hub http://127.0.0.1:9/a") == true)
        let flush = try runProcess(
            sendEvent, ["flush"],
            environment: ["CLAUDE_OBSERVABILITY_SPOOL": spoolPath, "CLAUDE_OBSERVABILITY_HUB": hubB])
        #expect(flush.status == 1 && flush.stderrText.contains("belongs to the hub"), "\(flush.stderrText)")
    }
}
