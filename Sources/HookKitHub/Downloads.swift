import HookKit
import HookKitSystem

/// What `hook-hub --downloads DIR` serves, so that a team's hub hands out its own installer:
///
/// - `GET /install.sh`: DIR's `install.sh` with its two default lines set to this hub:
///   `HOOKKIT_DEFAULT_DOWNLOAD_URL='<hub>/downloads'` and `HOOKKIT_DEFAULT_HUB='<hub>'`, where
///   `<hub>` is the `--public-url` when given, else `http://` and the request's `Host` header (a
///   `Host` that is not a plain `host[:port]` gets 400, so nothing a client sends can reach the
///   script but a checked host name).
/// - `GET /downloads/<name>`: the regular file `<name>` directly in DIR (release archives,
///   `SHA256SUMS`), with `Content-Length`; 404 for anything else: no `..`, no subfolders, no
///   hidden files, no symbolic link that leads out of DIR.
///
/// Files are read per request, so a new release dropped into DIR is served at once. Downloads
/// are not signed: they are public artifacts, checked by `install.sh` against `SHA256SUMS`.
package struct Downloads: Sendable {
    /// DIR, with symbolic links resolved.
    package let directory: String
    /// The URL clients reach this hub at, without a trailing slash; `nil` to use `Host`.
    package let publicURL: String?
    /// Largest file served.
    package let maxFileBytes: Int
    /// The bytes of the files last read, by resolved path, with what identifies that version
    /// of the file: every response for one version shares one buffer (arrays are copy on write),
    /// so many clients downloading the archive at once cost one copy of it, not one each.
    private let cache = Locked<[String: CachedFile]>([:])

    private struct CachedFile {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modified: Int64
        var bytes: [UInt8]
    }

    /// The two lines of `install.sh` a hub sets.
    package static let downloadURLVariable = "HOOKKIT_DEFAULT_DOWNLOAD_URL"
    /// See ``downloadURLVariable``.
    package static let hubVariable = "HOOKKIT_DEFAULT_HUB"

    /// Serves `directory`; fails when it is not a folder or `publicURL` is not a usable hub URL.
    package init(
        directory: String, publicURL: String? = nil, maxFileBytes: Int = 512 << 20
    ) throws(DownloadsError) {
        guard let resolved = realpath(directory, nil) else { throw .notAFolder(directory) }
        self.directory = String(cString: resolved)
        free(resolved)
        guard let info = try? FileSystem.status(self.directory), info.st_mode & S_IFMT == S_IFDIR else {
            throw .notAFolder(directory)
        }
        if let publicURL {
            if let problem = Configuration.hubProblem(publicURL) { throw .unusablePublicURL(publicURL, problem) }
            self.publicURL = Configuration.normalizedHub(publicURL)
        } else {
            self.publicURL = nil
        }
        self.maxFileBytes = maxFileBytes
    }

    /// Whether DIR has an `install.sh` with the two default lines (checked at start-up, to warn).
    package var installScriptProblem: String? {
        guard let bytes = try? readFile("install.sh") else { return "\(directory)/install.sh is missing" }
        if case .failure(let problem) = Self.settingDefaults(in: bytes, hub: "http://x") { return problem.description }
        return nil
    }

    /// The answer to `request`, or `nil` when it is not for `/install.sh` or `/downloads/`.
    package func handle(_ request: HTTPRequest) -> HTTPResponse? {
        let path = request.path
        guard path == "/install.sh" || path.hasPrefix("/downloads/") else { return nil }
        guard request.method == "GET" else {
            var response = Self.error(405, "method not allowed")
            response.headers.set("Allow", "GET")
            return response
        }
        if path == "/install.sh" { return installScript(request) }
        return file(String(path.dropFirst("/downloads/".count)))
    }

    private func installScript(_ request: HTTPRequest) -> HTTPResponse {
        let hub: String
        if let publicURL {
            hub = publicURL
        } else {
            guard let host = request.headers["Host"], Self.isPlainHost(host) else {
                return Self.error(
                    400, "the Host header must be a plain host[:port] (or start the hub with --public-url)")
            }
            hub = "http://" + host
        }
        guard let bytes = try? readFile("install.sh") else { return Self.error(404, "no install.sh here") }
        switch Self.settingDefaults(in: bytes, hub: hub) {
        case .success(let script):
            var response = HTTPResponse(status: 200, body: script)
            response.headers.set("Content-Type", "text/x-shellscript; charset=utf-8")
            response.headers.set("Cache-Control", "no-store")
            return response
        case .failure(let problem):
            return Self.error(500, problem.description)
        }
    }

    private func file(_ name: String) -> HTTPResponse {
        guard Self.isServableName(name), let bytes = try? readFile(name) else {
            return Self.error(404, "no such download")
        }
        var response = HTTPResponse(status: 200, body: bytes)
        response.headers.set("Content-Type", Self.contentType(name))
        return response
    }

    /// The bytes of the regular file `name` directly in ``directory``; nil when there is none
    /// (or it is a link out of the folder, or too large).
    private func readFile(_ name: String) throws(Errno) -> [UInt8]? {
        guard let resolved = realpath(directory + "/" + name, nil) else { return nil }
        let path = String(cString: resolved)
        free(resolved)
        guard path.hasPrefix(directory + "/"), !path.dropFirst(directory.count + 1).contains("/") else { return nil }
        // The resolved path has no links left; O_NOFOLLOW refuses one swapped in since.
        let fd = try FileDescriptor.open(path, O_RDONLY | O_NOFOLLOW)
        defer { fd.close() }
        let info = try fd.status()
        guard info.st_mode & S_IFMT == S_IFREG, Int(info.st_size) <= maxFileBytes else { return nil }
        let stamp = CachedFile(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
            modified: info.modificationNanoseconds, bytes: [])
        let cached = cache.withLock { files -> [UInt8]? in
            guard let file = files[path], file.device == stamp.device, file.inode == stamp.inode,
                file.size == stamp.size, file.modified == stamp.modified
            else { return nil }
            return file.bytes
        }
        if let cached { return cached }
        let bytes = try fd.readAll(limit: maxFileBytes)
        guard bytes.count == Int(info.st_size) else { return bytes }  // changing as we read: not kept
        var entry = stamp
        entry.bytes = bytes
        cache.withLock { files in
            if files.count >= 64 { files.removeAll() }
            files[path] = entry
        }
        return bytes
    }

    /// `script` with the two default lines set for `hub`, or why it cannot be.
    package static func settingDefaults(in script: [UInt8], hub: String) -> Result<[UInt8], DownloadsProblem> {
        var lines = script.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for (variable, value) in [(downloadURLVariable, hub + "/downloads"), (hubVariable, hub)] {
            let prefix = Array((variable + "=").utf8)
            guard let index = lines.firstIndex(where: { $0.starts(with: prefix) }) else {
                return .failure(DownloadsProblem("install.sh has no \(variable)= line (not HookKit's installer?)"))
            }
            lines[index] = ArraySlice(Array("\(variable)='\(value)'".utf8))
        }
        return .success(Array(lines.joined(separator: [UInt8(ascii: "\n")])))
    }

    /// `host[:port]`: a name or IPv4 address of letters, digits, dots and hyphens, or a
    /// bracketed IPv6 address, and an optional port of 1 to 5 digits.
    package static func isPlainHost(_ value: String) -> Bool {
        var host = Substring(value)
        var port: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let inner = host[host.index(after: host.startIndex)..<close]
            guard !inner.isEmpty, inner.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return false }
            let after = host[host.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return false }
                port = after.dropFirst()
            }
            host = inner
        } else {
            if let colon = host.firstIndex(of: ":") {
                port = host[host.index(after: colon)...]
                host = host[..<colon]
            }
            guard !host.isEmpty, host.utf8.count <= 253,
                host.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "." || $0 == "-" })
            else { return false }
        }
        if let port {
            guard (1...5).contains(port.count), port.allSatisfy({ $0.isASCII && $0.isNumber }),
                let number = Int(port), (1...65535).contains(number)
            else { return false }
        }
        return true
    }

    /// A file name that may be served: not empty, no slash, not hidden, printable ASCII.
    static func isServableName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && name.utf8.count <= 255
            && name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "\\") }
    }

    static func contentType(_ name: String) -> String {
        if name.hasSuffix(".tar.gz") || name.hasSuffix(".tgz") { return "application/gzip" }
        if name.hasSuffix(".sh") { return "text/x-shellscript; charset=utf-8" }
        if name == "SHA256SUMS" || name.hasSuffix(".txt") { return "text/plain; charset=utf-8" }
        return "application/octet-stream"
    }

    private static func error(_ status: Int, _ message: String) -> HTTPResponse {
        var body: [UInt8] = []
        JSONWriter.append("{\"error\":", to: &body)
        JSONWriter.appendString(message, to: &body)
        body.append(UInt8(ascii: "}"))
        return .json(status, body)
    }
}

/// Why DIR's `install.sh` cannot be served.
package struct DownloadsProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// The reason.
    package var description: String
    init(_ description: String) { self.description = description }
}

/// Why `--downloads` / `--public-url` cannot be used.
package enum DownloadsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// DIR is not a folder.
    case notAFolder(String)
    /// The public URL is not usable.
    case unusablePublicURL(String, String)

    /// One line.
    package var description: String {
        switch self {
        case .notAFolder(let path): "--downloads \(path) is not a folder"
        case .unusablePublicURL(let url, let problem): "--public-url '\(url)' is not usable: \(problem)"
        }
    }
}
