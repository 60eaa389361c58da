import HookKitSystem

/// Compares two byte collections in time that depends only on their lengths, never on their
/// contents or on where they first differ: use it for MACs and other secrets an attacker may
/// probe byte by byte. Collections of different lengths are unequal (lengths are not secret).
package func constantTimeEquals(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for (x, y) in zip(a, b) {
        difference |= x ^ y
    }
    return difference == 0
}
