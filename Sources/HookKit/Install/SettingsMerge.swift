import HookKitSystem

/// Adds HookKit's hook entries to a Claude Code settings document and takes them out again,
/// touching nothing else: pure logic on ``JSONValue``, no file I/O (``Installer`` does that).
///
/// Shape handled: `{"hooks": {"<Event>": [{"matcher": "", "hooks": [{"type": "command",
/// "command": "...", "timeout": 10}]}]}}`.
///
/// - Install: for each event, when no entry anywhere under that event already has our command,
///   appends one group of our own holding just our entry (after the user's groups). Existing keys,
///   groups and entries keep their values and their order; a new `hooks` object or event key is
///   appended at the end. An entry with our command counts as installed whatever its matcher or
///   timeout, so a user's edit to it survives a second install.
/// - Uninstall: removes exactly the entries whose `command` is ours, under any event, and then a
///   group, an event key or the `hooks` object only when it became empty through that removal;
///   something the user had left empty stays.
/// - Where settings hold a key twice, the last one counts (as for JSON.parse) and is the one
///   changed.
package enum SettingsMerge {
    /// What ``install(into:command:events:)`` did, event by event.
    package struct Outcome: Sendable, Equatable {
        /// The new document.
        package var settings: JSONValue
        /// Events that got our entry now.
        package var added: [String]
        /// Events that already had it.
        package var alreadyPresent: [String]
    }

    /// What ``uninstallReportingChanges(from:command:)`` did.
    package struct Removal: Sendable, Equatable {
        /// The new document.
        package var settings: JSONValue
        /// Events an entry of ours was removed from (one name per entry removed).
        package var removed: [String]
    }

    /// Adds a hook entry running `command` to every event in `events` that lacks one.
    package static func install(
        into settings: JSONValue, command: String = HookEvents.command, events: [HookEventSpec] = HookEvents.installed
    ) throws(SettingsMergeError) -> JSONValue {
        try installReportingChanges(into: settings, command: command, events: events).settings
    }

    /// ``install(into:command:events:)``, also saying which events changed.
    package static func installReportingChanges(
        into settings: JSONValue, command: String = HookEvents.command, events: [HookEventSpec] = HookEvents.installed
    ) throws(SettingsMergeError) -> Outcome {
        guard case .object(var root) = settings else { throw .rootNotAnObject(found: settings.kindName) }
        let hooksIndex = root.lastIndex { $0.key == "hooks" }
        var hooks: [JSONValue.Member] = []
        if let hooksIndex {
            guard case .object(let members) = root[hooksIndex].value else {
                throw .wrongType(path: "hooks", expected: "an object", found: root[hooksIndex].value.kindName)
            }
            hooks = members
        }
        var outcome = Outcome(settings: settings, added: [], alreadyPresent: [])
        for event in events {
            let eventIndex = hooks.lastIndex { $0.key == event.name }
            var groups: [JSONValue] = []
            if let eventIndex {
                guard case .array(let elements) = hooks[eventIndex].value else {
                    throw .wrongType(
                        path: "hooks.\(event.name)", expected: "an array", found: hooks[eventIndex].value.kindName)
                }
                groups = elements
            }
            if groups.contains(where: { containsEntry($0, command: command) }) {
                outcome.alreadyPresent.append(event.name)
                continue
            }
            groups.append(group(for: event, command: command))
            if let eventIndex {
                hooks[eventIndex].value = .array(groups)
            } else {
                hooks.append(.init(event.name, .array(groups)))
            }
            outcome.added.append(event.name)
        }
        guard !outcome.added.isEmpty else { return outcome }
        if let hooksIndex {
            root[hooksIndex].value = .object(hooks)
        } else {
            root.append(.init("hooks", .object(hooks)))
        }
        outcome.settings = .object(root)
        return outcome
    }

    /// Removes every hook entry whose `command` is `command`, and what became empty because of it.
    /// A document of another shape has nothing of ours and comes back unchanged.
    package static func uninstall(from settings: JSONValue, command: String = HookEvents.command) -> JSONValue {
        uninstallReportingChanges(from: settings, command: command).settings
    }

    /// ``uninstall(from:command:)``, also saying where entries were removed.
    package static func uninstallReportingChanges(from settings: JSONValue, command: String = HookEvents.command)
        -> Removal
    {
        var removal = Removal(settings: settings, removed: [])
        guard case .object(var root) = settings, let hooksIndex = root.lastIndex(where: { $0.key == "hooks" }),
            case .object(var hooks) = root[hooksIndex].value
        else { return removal }
        var eventIndex = hooks.startIndex
        while eventIndex < hooks.endIndex {
            guard case .array(var groups) = hooks[eventIndex].value else {
                eventIndex += 1
                continue
            }
            var groupIndex = groups.startIndex
            while groupIndex < groups.endIndex {
                guard case .object(var group) = groups[groupIndex],
                    let entriesIndex = group.lastIndex(where: { $0.key == "hooks" }),
                    case .array(var entries) = group[entriesIndex].value
                else {
                    groupIndex += 1
                    continue
                }
                let before = entries.count
                entries.removeAll { isEntry($0, command: command) }
                let removedHere = before - entries.count
                removal.removed += repeatElement(hooks[eventIndex].key, count: removedHere)
                if removedHere > 0 && entries.isEmpty {
                    groups.remove(at: groupIndex)
                    continue
                }
                if removedHere > 0 {
                    group[entriesIndex].value = .array(entries)
                    groups[groupIndex] = .object(group)
                }
                groupIndex += 1
            }
            let emptiedHere = groups.isEmpty && hooks[eventIndex].value.arrayValue?.isEmpty == false
            if emptiedHere {
                hooks.remove(at: eventIndex)
                continue
            }
            hooks[eventIndex].value = .array(groups)
            eventIndex += 1
        }
        guard !removal.removed.isEmpty else { return removal }
        if hooks.isEmpty {
            root.remove(at: hooksIndex)
        } else {
            root[hooksIndex].value = .object(hooks)
        }
        removal.settings = .object(root)
        return removal
    }

    /// The group HookKit adds for `event`: `{"matcher": "", "hooks": [entry]}` (no `matcher` key
    /// for events that do not match on a tool).
    package static func group(for event: HookEventSpec, command: String = HookEvents.command) -> JSONValue {
        let entry = JSONValue.object([
            .init("type", .string("command")),
            .init("command", .string(command)),
            .init("timeout", .number(String(event.timeoutSeconds))),
        ])
        var members: [JSONValue.Member] = []
        if event.takesMatcher { members.append(.init("matcher", .string(""))) }
        members.append(.init("hooks", .array([entry])))
        return .object(members)
    }

    /// Whether `group` (one element of an event's array) holds an entry running `command`.
    static func containsEntry(_ group: JSONValue, command: String) -> Bool {
        group["hooks"]?.arrayValue?.contains { isEntry($0, command: command) } ?? false
    }

    /// Whether `entry` is a hook entry whose `command` is exactly `command`.
    static func isEntry(_ entry: JSONValue, command: String) -> Bool {
        entry["command"]?.stringValue == command
    }
}

/// Why settings could not take HookKit's hooks: the document is valid JSON but not of the shape
/// Claude Code reads, and changing it would mean guessing.
package enum SettingsMergeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The document is not a JSON object.
    case rootNotAnObject(found: String)
    /// The value at `path` (for example `hooks` or `hooks.PreToolUse`) is of the wrong kind.
    case wrongType(path: String, expected: String, found: String)

    /// One line, for example `"hooks" is a string, expected an object`.
    package var description: String {
        switch self {
        case .rootNotAnObject(let found): "the settings are \(found), expected a JSON object"
        case .wrongType(let path, let expected, let found): "\"\(path)\" is \(found), expected \(expected)"
        }
    }
}

extension JSONValue {
    /// "an object", "a string", ...: for error messages.
    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
