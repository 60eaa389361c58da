import HookKitSystem

/// SHA-256 (FIPS 180-4), in pure Swift, with the shape of swift-crypto's `SHA256`.
///
/// Feed bytes with `update`, in chunks of any size (the digest does not depend on how the input
/// is split), then call ``finalize()``; or use ``HashFunction/hash(data:)`` for one-shot hashing.
/// The compression function is fully unrolled, keeps the working state and the message schedule
/// in locals, and reads its input through unchecked unaligned big-endian loads: about 0.7x of
/// OpenSSL's assembly without the SHA CPU extensions (see `scripts/bench-sha256.sh`).
package struct SHA256: HashFunction {
    /// The digest size in bytes.
    package static let byteCount = 32
    /// The block size in bytes.
    package static let blockByteCount = 64

    /// The chaining value H(i).
    private var state = State()
    /// A partial block waiting for more input: `pendingCount` bytes are valid.
    private var pending: Block = (0, 0, 0, 0, 0, 0, 0, 0)
    private var pendingCount = 0
    /// Total message length so far, in bytes.
    private var length: UInt64 = 0

    /// Starts a new, empty hash computation.
    package init() {}

    /// Feeds contiguous bytes into the hash.
    package mutating func update(bufferPointer: UnsafeRawBufferPointer) {
        guard var input = bufferPointer.baseAddress, bufferPointer.count > 0 else { return }
        var remaining = bufferPointer.count
        length &+= UInt64(remaining)

        if pendingCount > 0 {
            let taken = min(remaining, 64 - pendingCount)
            withUnsafeMutableBytes(of: &pending) { block in
                block.baseAddress.unsafelyUnwrapped.advanced(by: pendingCount)
                    .copyMemory(from: input, byteCount: taken)
            }
            pendingCount += taken
            input += taken
            remaining -= taken
            guard pendingCount == 64 else { return }
            let block = pending
            withUnsafeBytes(of: block) { full in
                SHA256.compress(&state, full.baseAddress.unsafelyUnwrapped, blocks: 1)
            }
            pendingCount = 0
        }

        let blocks = remaining / 64
        if blocks > 0 {
            SHA256.compress(&state, input, blocks: blocks)
            input += blocks * 64
            remaining -= blocks * 64
        }

        if remaining > 0 {
            withUnsafeMutableBytes(of: &pending) { block in
                block.baseAddress.unsafelyUnwrapped.copyMemory(from: input, byteCount: remaining)
            }
            pendingCount = remaining
        }
    }

    /// Feeds an array of bytes into the hash.
    package mutating func update(data: [UInt8]) {
        data.withUnsafeBytes { update(bufferPointer: $0) }
    }

    /// Returns the digest of everything fed so far. The hasher is unchanged: more data may be
    /// added afterwards, and finalizing again then covers all of it.
    package func finalize() -> SHA256Digest {
        var state = self.state
        // The tail: pending bytes, 0x80, zeros, and the bit length as a big-endian UInt64, in one
        // or two blocks.
        var tail: (Block, Block) = ((0, 0, 0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0, 0, 0))
        let tailBlocks = pendingCount < 56 ? 1 : 2
        withUnsafeMutableBytes(of: &tail) { raw in
            let base = raw.baseAddress.unsafelyUnwrapped
            withUnsafeBytes(of: pending) { partial in
                base.copyMemory(from: partial.baseAddress.unsafelyUnwrapped, byteCount: pendingCount)
            }
            raw[pendingCount] = 0x80
            raw.storeBytes(of: (length &<< 3).bigEndian, toByteOffset: tailBlocks * 64 - 8, as: UInt64.self)
            SHA256.compress(&state, UnsafeRawPointer(base), blocks: tailBlocks)
        }
        return SHA256Digest(state.h0, state.h1, state.h2, state.h3, state.h4, state.h5, state.h6, state.h7)
    }

    /// 64 bytes of storage that need no heap allocation.
    private typealias Block = (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)

    /// The eight 32-bit chaining words, initialised to H(0) (FIPS 180-4 §5.3.3).
    private struct State {
        var h0: UInt32 = 0x6a09_e667, h1: UInt32 = 0xbb67_ae85, h2: UInt32 = 0x3c6e_f372, h3: UInt32 = 0xa54f_f53a
        var h4: UInt32 = 0x510e_527f, h5: UInt32 = 0x9b05_688c, h6: UInt32 = 0x1f83_d9ab, h7: UInt32 = 0x5be0_cd19
    }

    /// Runs the compression function over `blocks` consecutive 64-byte blocks at `input`.
    private static func compress(_ state: inout State, _ input: UnsafeRawPointer, blocks: Int) {
        var a = state.h0, b = state.h1, c = state.h2, d = state.h3
        var e = state.h4, f = state.h5, g = state.h6, h = state.h7
        var input = input
        for _ in 0..<blocks {
            @inline(__always) func word(_ index: Int) -> UInt32 {
                UInt32(bigEndian: input.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))
            }
            var w0 = word(0), w1 = word(1), w2 = word(2), w3 = word(3)
            var w4 = word(4), w5 = word(5), w6 = word(6), w7 = word(7)
            var w8 = word(8), w9 = word(9), w10 = word(10), w11 = word(11)
            var w12 = word(12), w13 = word(13), w14 = word(14), w15 = word(15)
            // b ^ c of the current round, carried over to save an operation in Maj (see `round`).
            var bc = b ^ c

            round(a, b, c, &d, e, f, g, &h, &bc, w0 &+ 0x428a2f98)
            round(h, a, b, &c, d, e, f, &g, &bc, w1 &+ 0x71374491)
            round(g, h, a, &b, c, d, e, &f, &bc, w2 &+ 0xb5c0fbcf)
            round(f, g, h, &a, b, c, d, &e, &bc, w3 &+ 0xe9b5dba5)
            round(e, f, g, &h, a, b, c, &d, &bc, w4 &+ 0x3956c25b)
            round(d, e, f, &g, h, a, b, &c, &bc, w5 &+ 0x59f111f1)
            round(c, d, e, &f, g, h, a, &b, &bc, w6 &+ 0x923f82a4)
            round(b, c, d, &e, f, g, h, &a, &bc, w7 &+ 0xab1c5ed5)
            round(a, b, c, &d, e, f, g, &h, &bc, w8 &+ 0xd807aa98)
            round(h, a, b, &c, d, e, f, &g, &bc, w9 &+ 0x12835b01)
            round(g, h, a, &b, c, d, e, &f, &bc, w10 &+ 0x243185be)
            round(f, g, h, &a, b, c, d, &e, &bc, w11 &+ 0x550c7dc3)
            round(e, f, g, &h, a, b, c, &d, &bc, w12 &+ 0x72be5d74)
            round(d, e, f, &g, h, a, b, &c, &bc, w13 &+ 0x80deb1fe)
            round(c, d, e, &f, g, h, a, &b, &bc, w14 &+ 0x9bdc06a7)
            round(b, c, d, &e, f, g, h, &a, &bc, w15 &+ 0xc19bf174)
            expand(&w0, w14, w9, w1)
            round(a, b, c, &d, e, f, g, &h, &bc, w0 &+ 0xe49b69c1)
            expand(&w1, w15, w10, w2)
            round(h, a, b, &c, d, e, f, &g, &bc, w1 &+ 0xefbe4786)
            expand(&w2, w0, w11, w3)
            round(g, h, a, &b, c, d, e, &f, &bc, w2 &+ 0x0fc19dc6)
            expand(&w3, w1, w12, w4)
            round(f, g, h, &a, b, c, d, &e, &bc, w3 &+ 0x240ca1cc)
            expand(&w4, w2, w13, w5)
            round(e, f, g, &h, a, b, c, &d, &bc, w4 &+ 0x2de92c6f)
            expand(&w5, w3, w14, w6)
            round(d, e, f, &g, h, a, b, &c, &bc, w5 &+ 0x4a7484aa)
            expand(&w6, w4, w15, w7)
            round(c, d, e, &f, g, h, a, &b, &bc, w6 &+ 0x5cb0a9dc)
            expand(&w7, w5, w0, w8)
            round(b, c, d, &e, f, g, h, &a, &bc, w7 &+ 0x76f988da)
            expand(&w8, w6, w1, w9)
            round(a, b, c, &d, e, f, g, &h, &bc, w8 &+ 0x983e5152)
            expand(&w9, w7, w2, w10)
            round(h, a, b, &c, d, e, f, &g, &bc, w9 &+ 0xa831c66d)
            expand(&w10, w8, w3, w11)
            round(g, h, a, &b, c, d, e, &f, &bc, w10 &+ 0xb00327c8)
            expand(&w11, w9, w4, w12)
            round(f, g, h, &a, b, c, d, &e, &bc, w11 &+ 0xbf597fc7)
            expand(&w12, w10, w5, w13)
            round(e, f, g, &h, a, b, c, &d, &bc, w12 &+ 0xc6e00bf3)
            expand(&w13, w11, w6, w14)
            round(d, e, f, &g, h, a, b, &c, &bc, w13 &+ 0xd5a79147)
            expand(&w14, w12, w7, w15)
            round(c, d, e, &f, g, h, a, &b, &bc, w14 &+ 0x06ca6351)
            expand(&w15, w13, w8, w0)
            round(b, c, d, &e, f, g, h, &a, &bc, w15 &+ 0x14292967)
            expand(&w0, w14, w9, w1)
            round(a, b, c, &d, e, f, g, &h, &bc, w0 &+ 0x27b70a85)
            expand(&w1, w15, w10, w2)
            round(h, a, b, &c, d, e, f, &g, &bc, w1 &+ 0x2e1b2138)
            expand(&w2, w0, w11, w3)
            round(g, h, a, &b, c, d, e, &f, &bc, w2 &+ 0x4d2c6dfc)
            expand(&w3, w1, w12, w4)
            round(f, g, h, &a, b, c, d, &e, &bc, w3 &+ 0x53380d13)
            expand(&w4, w2, w13, w5)
            round(e, f, g, &h, a, b, c, &d, &bc, w4 &+ 0x650a7354)
            expand(&w5, w3, w14, w6)
            round(d, e, f, &g, h, a, b, &c, &bc, w5 &+ 0x766a0abb)
            expand(&w6, w4, w15, w7)
            round(c, d, e, &f, g, h, a, &b, &bc, w6 &+ 0x81c2c92e)
            expand(&w7, w5, w0, w8)
            round(b, c, d, &e, f, g, h, &a, &bc, w7 &+ 0x92722c85)
            expand(&w8, w6, w1, w9)
            round(a, b, c, &d, e, f, g, &h, &bc, w8 &+ 0xa2bfe8a1)
            expand(&w9, w7, w2, w10)
            round(h, a, b, &c, d, e, f, &g, &bc, w9 &+ 0xa81a664b)
            expand(&w10, w8, w3, w11)
            round(g, h, a, &b, c, d, e, &f, &bc, w10 &+ 0xc24b8b70)
            expand(&w11, w9, w4, w12)
            round(f, g, h, &a, b, c, d, &e, &bc, w11 &+ 0xc76c51a3)
            expand(&w12, w10, w5, w13)
            round(e, f, g, &h, a, b, c, &d, &bc, w12 &+ 0xd192e819)
            expand(&w13, w11, w6, w14)
            round(d, e, f, &g, h, a, b, &c, &bc, w13 &+ 0xd6990624)
            expand(&w14, w12, w7, w15)
            round(c, d, e, &f, g, h, a, &b, &bc, w14 &+ 0xf40e3585)
            expand(&w15, w13, w8, w0)
            round(b, c, d, &e, f, g, h, &a, &bc, w15 &+ 0x106aa070)
            expand(&w0, w14, w9, w1)
            round(a, b, c, &d, e, f, g, &h, &bc, w0 &+ 0x19a4c116)
            expand(&w1, w15, w10, w2)
            round(h, a, b, &c, d, e, f, &g, &bc, w1 &+ 0x1e376c08)
            expand(&w2, w0, w11, w3)
            round(g, h, a, &b, c, d, e, &f, &bc, w2 &+ 0x2748774c)
            expand(&w3, w1, w12, w4)
            round(f, g, h, &a, b, c, d, &e, &bc, w3 &+ 0x34b0bcb5)
            expand(&w4, w2, w13, w5)
            round(e, f, g, &h, a, b, c, &d, &bc, w4 &+ 0x391c0cb3)
            expand(&w5, w3, w14, w6)
            round(d, e, f, &g, h, a, b, &c, &bc, w5 &+ 0x4ed8aa4a)
            expand(&w6, w4, w15, w7)
            round(c, d, e, &f, g, h, a, &b, &bc, w6 &+ 0x5b9cca4f)
            expand(&w7, w5, w0, w8)
            round(b, c, d, &e, f, g, h, &a, &bc, w7 &+ 0x682e6ff3)
            expand(&w8, w6, w1, w9)
            round(a, b, c, &d, e, f, g, &h, &bc, w8 &+ 0x748f82ee)
            expand(&w9, w7, w2, w10)
            round(h, a, b, &c, d, e, f, &g, &bc, w9 &+ 0x78a5636f)
            expand(&w10, w8, w3, w11)
            round(g, h, a, &b, c, d, e, &f, &bc, w10 &+ 0x84c87814)
            expand(&w11, w9, w4, w12)
            round(f, g, h, &a, b, c, d, &e, &bc, w11 &+ 0x8cc70208)
            expand(&w12, w10, w5, w13)
            round(e, f, g, &h, a, b, c, &d, &bc, w12 &+ 0x90befffa)
            expand(&w13, w11, w6, w14)
            round(d, e, f, &g, h, a, b, &c, &bc, w13 &+ 0xa4506ceb)
            expand(&w14, w12, w7, w15)
            round(c, d, e, &f, g, h, a, &b, &bc, w14 &+ 0xbef9a3f7)
            expand(&w15, w13, w8, w0)
            round(b, c, d, &e, f, g, h, &a, &bc, w15 &+ 0xc67178f2)

            a &+= state.h0; b &+= state.h1; c &+= state.h2; d &+= state.h3
            e &+= state.h4; f &+= state.h5; g &+= state.h6; h &+= state.h7
            state = State(h0: a, h1: b, h2: c, h3: d, h4: e, h5: f, h6: g, h7: h)
            input += 64
        }
    }
}

// The round function and the message schedule (FIPS 180-4 §6.2.2). Rather than rotating the eight
// working variables each round, the caller renames them, so a round only writes `d` and `h`.

@inline(__always)
private func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x &>> n) | (x &<< (32 &- n)) }

/// One SHA-256 round; `kw` is K[t] + W[t]. `bc` holds b ^ c on entry and a ^ b on exit, which is
/// the next round's b ^ c: Maj(a, b, c) = b ^ ((a ^ b) & (b ^ c)) then costs two operations.
@inline(__always)
private func round(
    _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
    _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32,
    _ bc: inout UInt32, _ kw: UInt32
) {
    let sigma1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
    let choose = g ^ (e & (f ^ g))
    let t1 = h &+ kw &+ choose &+ sigma1
    let sigma0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
    let ab = a ^ b
    let majority = b ^ (ab & bc)
    bc = ab
    d &+= t1
    h = t1 &+ sigma0 &+ majority
}

/// W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16], computed in place over W[t-16] in a
/// 16-word window.
@inline(__always)
private func expand(_ w16: inout UInt32, _ w2: UInt32, _ w7: UInt32, _ w15: UInt32) {
    let s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 &>> 3)
    let s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 &>> 10)
    w16 = w16 &+ s1 &+ w7 &+ s0
}
