#if canImport(Glibc)
import HookKitSystem

/// The part of OpenSSL the tunnel uses, bound at run time with `dlopen`/`dlsym`.
///
/// Nothing links against libssl: the helper loads `libssl.so.3` and `libcrypto.so.3` (or the
/// 1.1 pair) when it starts, so the package builds without OpenSSL headers and the binary runs
/// on any system that has either version. The function types follow the C prototypes (`int` is
/// `Int32`, `long` is `Int`, `unsigned long` is `UInt`, every OpenSSL object an `OpaquePointer`).
struct OpenSSL {
    typealias Object = OpaquePointer

    // libssl
    let TLS_client_method: @convention(c) () -> Object?
    let SSL_CTX_new: @convention(c) (Object?) -> Object?
    let SSL_CTX_free: @convention(c) (Object?) -> Void
    let SSL_CTX_ctrl: @convention(c) (Object?, Int32, Int, UnsafeMutableRawPointer?) -> Int
    let SSL_CTX_set_default_verify_paths: @convention(c) (Object?) -> Int32
    let SSL_CTX_load_verify_locations: @convention(c) (Object?, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Int32
    /// The last argument is the verify callback; the tunnel always passes nil.
    let SSL_CTX_set_verify: @convention(c) (Object?, Int32, UnsafeRawPointer?) -> Void
    let SSL_new: @convention(c) (Object?) -> Object?
    let SSL_free: @convention(c) (Object?) -> Void
    let SSL_set_fd: @convention(c) (Object?, Int32) -> Int32
    let SSL_ctrl: @convention(c) (Object?, Int32, Int, UnsafeMutableRawPointer?) -> Int
    let SSL_set1_host: @convention(c) (Object?, UnsafePointer<CChar>?) -> Int32
    let SSL_get0_param: @convention(c) (Object?) -> Object?
    let SSL_connect: @convention(c) (Object?) -> Int32
    let SSL_read: @convention(c) (Object?, UnsafeMutableRawPointer?, Int32) -> Int32
    let SSL_write: @convention(c) (Object?, UnsafeRawPointer?, Int32) -> Int32
    let SSL_get_error: @convention(c) (Object?, Int32) -> Int32
    let SSL_shutdown: @convention(c) (Object?) -> Int32
    let SSL_get_verify_result: @convention(c) (Object?) -> Int
    // libcrypto
    let X509_VERIFY_PARAM_set1_ip_asc: @convention(c) (Object?, UnsafePointer<CChar>?) -> Int32
    let X509_verify_cert_error_string: @convention(c) (Int) -> UnsafePointer<CChar>?
    let ERR_get_error: @convention(c) () -> UInt
    let ERR_error_string_n: @convention(c) (UInt, UnsafeMutablePointer<CChar>?, Int) -> Void
    let ERR_clear_error: @convention(c) () -> Void
    let OpenSSL_version: @convention(c) (Int32) -> UnsafePointer<CChar>?

    // Constants from the OpenSSL headers (stable across 1.1 and 3.x).
    static let SSL_ERROR_SSL: Int32 = 1
    static let SSL_ERROR_WANT_READ: Int32 = 2
    static let SSL_ERROR_WANT_WRITE: Int32 = 3
    static let SSL_ERROR_SYSCALL: Int32 = 5
    static let SSL_ERROR_ZERO_RETURN: Int32 = 6
    static let SSL_VERIFY_PEER: Int32 = 1
    static let SSL_CTRL_MODE: Int32 = 33
    static let SSL_CTRL_SET_TLSEXT_HOSTNAME: Int32 = 55
    static let SSL_CTRL_SET_MIN_PROTO_VERSION: Int32 = 123
    static let TLSEXT_NAMETYPE_host_name = 0
    static let TLS1_2_VERSION = 0x0303
    static let SSL_MODE_ENABLE_PARTIAL_WRITE = 0x1
    static let SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER = 0x2
    static let X509_V_OK = 0

    /// The library pairs tried, newest first.
    static let candidates = [("libssl.so.3", "libcrypto.so.3"), ("libssl.so.1.1", "libcrypto.so.1.1")]

    /// Loads the first OpenSSL found, or says why none could be.
    static func load() throws(TunnelFailure) -> OpenSSL {
        var reasons: [String] = []
        for (sslName, cryptoName) in candidates {
            guard let ssl = dlopen(sslName, RTLD_NOW | RTLD_LOCAL) else {
                reasons.append(lastLoaderError() ?? "\(sslName) not found")
                continue
            }
            guard let crypto = dlopen(cryptoName, RTLD_NOW | RTLD_LOCAL) else {
                reasons.append(lastLoaderError() ?? "\(cryptoName) not found")
                dlclose(ssl)
                continue
            }
            do {
                return try OpenSSL(ssl: ssl, crypto: crypto)
            } catch {
                reasons.append(error.message)
                dlclose(crypto)
                dlclose(ssl)
            }
        }
        throw .setup("cannot load OpenSSL (libssl.so.3 or libssl.so.1.1): \(reasons.joined(separator: "; "))")
    }

    private static func lastLoaderError() -> String? {
        guard let text = dlerror() else { return nil }
        return String(cString: text)
    }

    private init(ssl: UnsafeMutableRawPointer, crypto: UnsafeMutableRawPointer) throws(TunnelFailure) {
        func bind<T>(
            _ handle: UnsafeMutableRawPointer, _ name: String, as type: T.Type
        ) throws(TunnelFailure) -> T {
            guard let address = dlsym(handle, name) else { throw .setup("OpenSSL has no \(name)") }
            return unsafeBitCast(address, to: type)
        }
        TLS_client_method = try bind(ssl, "TLS_client_method", as: type(of: TLS_client_method))
        SSL_CTX_new = try bind(ssl, "SSL_CTX_new", as: type(of: SSL_CTX_new))
        SSL_CTX_free = try bind(ssl, "SSL_CTX_free", as: type(of: SSL_CTX_free))
        SSL_CTX_ctrl = try bind(ssl, "SSL_CTX_ctrl", as: type(of: SSL_CTX_ctrl))
        SSL_CTX_set_default_verify_paths = try bind(
            ssl, "SSL_CTX_set_default_verify_paths", as: type(of: SSL_CTX_set_default_verify_paths))
        SSL_CTX_load_verify_locations = try bind(
            ssl, "SSL_CTX_load_verify_locations", as: type(of: SSL_CTX_load_verify_locations))
        SSL_CTX_set_verify = try bind(ssl, "SSL_CTX_set_verify", as: type(of: SSL_CTX_set_verify))
        SSL_new = try bind(ssl, "SSL_new", as: type(of: SSL_new))
        SSL_free = try bind(ssl, "SSL_free", as: type(of: SSL_free))
        SSL_set_fd = try bind(ssl, "SSL_set_fd", as: type(of: SSL_set_fd))
        SSL_ctrl = try bind(ssl, "SSL_ctrl", as: type(of: SSL_ctrl))
        SSL_set1_host = try bind(ssl, "SSL_set1_host", as: type(of: SSL_set1_host))
        SSL_get0_param = try bind(ssl, "SSL_get0_param", as: type(of: SSL_get0_param))
        SSL_connect = try bind(ssl, "SSL_connect", as: type(of: SSL_connect))
        SSL_read = try bind(ssl, "SSL_read", as: type(of: SSL_read))
        SSL_write = try bind(ssl, "SSL_write", as: type(of: SSL_write))
        SSL_get_error = try bind(ssl, "SSL_get_error", as: type(of: SSL_get_error))
        SSL_shutdown = try bind(ssl, "SSL_shutdown", as: type(of: SSL_shutdown))
        SSL_get_verify_result = try bind(ssl, "SSL_get_verify_result", as: type(of: SSL_get_verify_result))
        X509_VERIFY_PARAM_set1_ip_asc = try bind(
            crypto, "X509_VERIFY_PARAM_set1_ip_asc", as: type(of: X509_VERIFY_PARAM_set1_ip_asc))
        X509_verify_cert_error_string = try bind(
            crypto, "X509_verify_cert_error_string", as: type(of: X509_verify_cert_error_string))
        ERR_get_error = try bind(crypto, "ERR_get_error", as: type(of: ERR_get_error))
        ERR_error_string_n = try bind(crypto, "ERR_error_string_n", as: type(of: ERR_error_string_n))
        ERR_clear_error = try bind(crypto, "ERR_clear_error", as: type(of: ERR_clear_error))
        OpenSSL_version = try bind(crypto, "OpenSSL_version", as: type(of: OpenSSL_version))
    }

    /// The oldest error on this thread's OpenSSL error queue as text (the queue is cleared),
    /// or nil when it is empty.
    func takeErrors() -> String? {
        let first = ERR_get_error()
        guard first != 0 else { return nil }
        while ERR_get_error() != 0 {}
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(first, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The text for an X509 verification result, for example
    /// "self-signed certificate in certificate chain".
    func verifyErrorText(_ code: Int) -> String {
        guard let text = X509_verify_cert_error_string(code) else { return "error \(code)" }
        return String(cString: text)
    }

    /// `OpenSSL 3.0.13 30 Jan 2024`.
    var versionText: String {
        guard let text = OpenSSL_version(0) else { return "OpenSSL" }
        return String(cString: text)
    }
}
#endif
