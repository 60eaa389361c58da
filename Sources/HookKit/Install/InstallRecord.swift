import HookKitSystem

/// What an install added to settings `env`, so that `--uninstall` takes out exactly that: a
/// variable goes only when its value is still the one the install wrote. Kept next to the
/// binaries as `hooks/hookkit-install.json`, mode 0600.
///
/// Values are recorded as SHA-256 digests, never as text: the record sits beside the binaries,
/// and the secret is not written anywhere but its settings file. (A project install also makes
/// sure git ignores the record when it holds the secret's digest.)
package struct InstallRecord: Sendable, Equatable {
    /// The record's file name inside the hooks folder.
    package static let fileName = "hookkit-install.json"

    /// One variable the install wrote.
    package struct Variable: Sendable, Equatable {
        /// The settings file, relative to `.claude/` (`settings.json` or `settings.local.json`).
        package var file: String
        /// The variable's name.
        package var name: String
        /// Lowercase hex SHA-256 of the value written.
        package var digest: String
    }

    /// Variables the install wrote.
    package var variables: [Variable] = []
    /// Settings files (relative to `.claude/`) the install created, removed again by an uninstall
    /// that leaves them empty.
    package var createdFiles: [String] = []

    /// An empty record.
    package init() {}

    /// Lowercase hex SHA-256 of `value`'s UTF-8 bytes.
    package static func digest(_ value: String) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in SHA256.hash(data: Array(value.utf8)) {
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Whether the record says `name` in `file` was written with `value`.
    package func wrote(_ name: String, in file: String, value: String) -> Bool {
        variables.contains { $0.file == file && $0.name == name && $0.digest == Self.digest(value) }
    }

    /// Records that `name` in `file` now holds `value` (replacing an earlier entry for it).
    package mutating func record(_ name: String, in file: String, value: String) {
        forget(name, in: file)
        variables.append(Variable(file: file, name: name, digest: Self.digest(value)))
    }

    /// Drops the entry for `name` in `file`.
    package mutating func forget(_ name: String, in file: String) {
        variables.removeAll { $0.file == file && $0.name == name }
    }

    /// Whether it records nothing.
    package var isEmpty: Bool { variables.isEmpty && createdFiles.isEmpty }

    /// Reads the record at `path`; a missing file is an empty record.
    package static func load(_ path: String) throws(InstallOperationError) -> InstallRecord {
        let bytes: [UInt8]?
        do {
            bytes = try FileSystem.contents(of: path, limit: 1 << 20)
        } catch {
            throw .fileSystem(path: path, action: "read", error)
        }
        guard let bytes else { return InstallRecord() }
        guard let document = try? JSONValue.parse(bytes) else {
            throw .invalidRecord(path: path)
        }
        var record = InstallRecord()
        for entry in document["env"]?.arrayValue ?? [] {
            guard let file = entry["file"]?.stringValue, let name = entry["name"]?.stringValue,
                let digest = entry["sha256"]?.stringValue
            else { throw .invalidRecord(path: path) }
            record.variables.append(Variable(file: file, name: name, digest: digest))
        }
        record.createdFiles = (document["created"]?.arrayValue ?? []).compactMap(\.stringValue)
        return record
    }

    /// The record as JSON text.
    package func rendered() -> [UInt8] {
        let document = JSONValue.object([
            .init(
                "env",
                .array(
                    variables.map {
                        .object([
                            .init("file", .string($0.file)), .init("name", .string($0.name)),
                            .init("sha256", .string($0.digest)),
                        ])
                    })),
            .init("created", .array(createdFiles.map(JSONValue.string))),
        ])
        return Array((document.serialized(pretty: true) + "\n").utf8)
    }
}
