import HookKitSystem

/// A version 7 UUID (RFC 9562 §5.7): a 48-bit Unix timestamp in milliseconds, the version (7),
/// 12 bits `rand_a`, the variant (`10`), and 62 bits `rand_b`.
///
/// Ids compare (and sort as strings) by time first. ``generate()`` is monotonic within the process
/// (RFC 9562 §6.2, method 1): it puts a 42-bit counter in `rand_a` and the top 30 bits of
/// `rand_b`, seeded at random (top bit clear) on each new millisecond and incremented otherwise,
/// so ids made in the same millisecond, or after the clock steps back, still increase strictly.
/// The last 32 bits are fresh from the OS CSPRNG for every id.
public struct UUIDv7: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Bytes 0–7, big-endian: timestamp, version, `rand_a`.
    private let high: UInt64
    /// Bytes 8–15, big-endian: variant, `rand_b`.
    private let low: UInt64

    /// The largest timestamp the 48-bit field holds.
    package static let maximumTimestampMilliseconds: Int64 = (1 << 48) - 1

    /// Assembles an id from its fields. The timestamp is clamped to
    /// 0...``maximumTimestampMilliseconds``, `randA` keeps its low 12 bits, `randB` its low 62.
    package init(timestampMilliseconds: Int64, randA: UInt16, randB: UInt64) {
        let timestamp = UInt64(min(max(timestampMilliseconds, 0), Self.maximumTimestampMilliseconds))
        high = timestamp << 16 | 0x7000 | UInt64(randA & 0x0fff)
        low = 0b10 << 62 | randB & (1 << 62 - 1)
    }

    private init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Reads an id from its 16 bytes; `nil` unless there are 16 and they carry version 7 and
    /// variant `10`.
    package init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0, low: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        guard high >> 12 & 0xf == 7, low >> 62 == 0b10 else { return nil }
        self.init(high: high, low: low)
    }

    /// Parses the canonical 8-4-4-4-12 hexadecimal form (either case); `nil` for any other text
    /// or for a UUID that is not version 7 with variant `10`.
    public init?(parsing text: String) {
        var utf8 = Array(text.utf8)
        guard utf8.count == 36 else { return nil }
        for dash in [8, 13, 18, 23] {
            guard utf8[dash] == UInt8(ascii: "-") else { return nil }
        }
        utf8.removeAll { $0 == UInt8(ascii: "-") }
        guard utf8.count == 32 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(16)
        for index in stride(from: 0, to: 32, by: 2) {
            guard let upper = Self.hexValue(utf8[index]), let lower = Self.hexValue(utf8[index + 1]) else {
                return nil
            }
            bytes.append(upper << 4 | lower)
        }
        self.init(bytes: bytes)
    }

    /// The 48-bit Unix timestamp in milliseconds.
    public var timestampMilliseconds: Int64 { Int64(high >> 16) }

    /// The 12-bit `rand_a` field.
    package var randA: UInt16 { UInt16(high & 0x0fff) }

    /// The 62-bit `rand_b` field.
    package var randB: UInt64 { low & (1 << 62 - 1) }

    /// The 16 bytes, in network order.
    package var bytes: [UInt8] {
        (0..<16).map { index in
            UInt8(truncatingIfNeeded: (index < 8 ? high : low) >> (56 - 8 * UInt64(index % 8)))
        }
    }

    /// The lowercase canonical form, e.g. `01890a5d-ac96-774b-bcce-b302099a8057`.
    public var uuidString: String {
        String(unsafeUninitializedCapacity: 36) { output in
            let digits: StaticString = "0123456789abcdef"
            let table = digits.utf8Start
            var position = 0
            for nibble in 0..<32 {
                if nibble == 8 || nibble == 12 || nibble == 16 || nibble == 20 {
                    output[position] = UInt8(ascii: "-")
                    position += 1
                }
                let word = nibble < 16 ? high : low
                output[position] = table[Int(word >> (60 - 4 * UInt64(nibble % 16)) & 0xf)]
                position += 1
            }
            return 36
        }
    }

    /// Same as ``uuidString``.
    public var description: String { uuidString }

    /// Orders ids by their bytes, which is by timestamp first.
    public static func < (lhs: UUIDv7, rhs: UUIDv7) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    /// A new id for the current time, greater than every id this function returned before in
    /// this process (from any thread). If the clock has stepped back, its timestamp is that of
    /// the last id until the clock catches up.
    public static func generate() -> UUIDv7 {
        clockGenerator.next(milliseconds: Clock.unixMilliseconds(), exact: false)
    }

    /// A new id whose timestamp is exactly `milliseconds` (clamped to the 48-bit range), so that
    /// it agrees with an event's `timestamp`. Successive calls with non-decreasing timestamps
    /// return increasing ids (from any thread); an older timestamp starts a new sequence there.
    /// It has its own state, so a caller's odd timestamp never holds back ``generate()``; ids of
    /// the two kinds are unique but not ordered within the same millisecond.
    package static func generate(at milliseconds: Int64) -> UUIDv7 {
        exactGenerator.next(milliseconds: milliseconds, exact: true)
    }

    private static func hexValue(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension UUIDv7 {
    /// The monotonic state behind ``UUIDv7/generate()``, as a value: tests and callers that need
    /// their own sequence (or a fake clock) drive one directly.
    package struct Generator: Sendable {
        /// Counter width: all of `rand_a` (12 bits) and the top 30 bits of `rand_b`.
        private static let counterBits = 42
        private var lastMilliseconds: Int64 = -1
        private var counter: UInt64 = 0

        /// A generator that has produced nothing yet.
        package init() {}

        /// A generator in a given state (for tests of the counter's edge cases).
        init(lastMilliseconds: Int64, counter: UInt64) {
            self.lastMilliseconds = lastMilliseconds
            self.counter = counter
        }

        /// The next id for a clock reading of `clockMilliseconds`: strictly greater than the
        /// previous one even if the clock did not advance or stepped back (the timestamp then
        /// stays at the newest one seen). `randomBits` supplies the randomness (64 bits).
        package mutating func next(clockMilliseconds: Int64, randomBits: UInt64) -> UUIDv7 {
            let now = min(max(clockMilliseconds, 0), UUIDv7.maximumTimestampMilliseconds)
            if now > lastMilliseconds {
                lastMilliseconds = now
                counter = Self.seed(randomBits)
            } else {
                counter += 1
                if counter >> Self.counterBits != 0 {
                    // 2^41 ids in one millisecond: borrow the next millisecond (RFC 9562 §6.2).
                    lastMilliseconds = min(lastMilliseconds + 1, UUIDv7.maximumTimestampMilliseconds)
                    counter = Self.seed(randomBits)
                }
            }
            return Self.make(lastMilliseconds, counter, randomBits)
        }

        /// The next id with a timestamp of exactly `milliseconds`: strictly greater than the
        /// previous one when `milliseconds` is not older than it. An older timestamp (or an
        /// exhausted counter) starts a new, randomly seeded sequence at `milliseconds`: that id is
        /// unique but not greater than the previous one.
        package mutating func next(exactMilliseconds milliseconds: Int64, randomBits: UInt64) -> UUIDv7 {
            let timestamp = min(max(milliseconds, 0), UUIDv7.maximumTimestampMilliseconds)
            if timestamp == lastMilliseconds, (counter + 1) >> Self.counterBits == 0 {
                counter += 1
            } else {
                lastMilliseconds = timestamp
                counter = Self.seed(randomBits)
            }
            return Self.make(lastMilliseconds, counter, randomBits)
        }

        /// The next id for the current time (see ``next(clockMilliseconds:randomBits:)``).
        package mutating func next() -> UUIDv7 {
            next(clockMilliseconds: Clock.unixMilliseconds(), randomBits: SystemRandom.next(UInt64.self))
        }

        /// A counter start with its top bit clear, leaving 2^41 increments of headroom; taken
        /// from the top 41 random bits so it is independent of the low 32 used in `make`.
        private static func seed(_ randomBits: UInt64) -> UInt64 {
            randomBits >> (64 - (counterBits - 1))
        }

        private static func make(_ milliseconds: Int64, _ counter: UInt64, _ randomBits: UInt64) -> UUIDv7 {
            let randA = UInt16(truncatingIfNeeded: counter >> 30)
            let randB = (counter & (1 << 30 - 1)) << 32 | randomBits & 0xffff_ffff
            return UUIDv7(timestampMilliseconds: milliseconds, randA: randA, randB: randB)
        }
    }
}

/// A process-wide generator behind a pthread mutex (which, unlike `Synchronization.Mutex`, needs
/// no macOS 15 availability check).
private final class SharedUUIDv7Generator: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var generator = UUIDv7.Generator()

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    func next(milliseconds: Int64, exact: Bool) -> UUIDv7 {
        // Draw the randomness before taking the lock, to keep the critical section short.
        let randomBits = SystemRandom.next(UInt64.self)
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return exact
            ? generator.next(exactMilliseconds: milliseconds, randomBits: randomBits)
            : generator.next(clockMilliseconds: milliseconds, randomBits: randomBits)
    }
}

/// Behind ``UUIDv7/generate()``.
private let clockGenerator = SharedUUIDv7Generator()
/// Behind ``UUIDv7/generate(at:)``.
private let exactGenerator = SharedUUIDv7Generator()
