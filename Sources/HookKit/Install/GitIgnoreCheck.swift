import HookKitSystem

/// Asks git whether files of a project would be committed: the installer keeps the hub secret
/// (in `.claude/settings.local.json`) out of the repository.
///
/// Runs the `git` found on `PATH`; without git, or outside a work tree, there is nothing to
/// commit the file with and every answer is "not in a repository".
struct GitIgnoreCheck {
    /// What git says about one path.
    enum Answer: Equatable {
        /// Not in a git work tree, or no git on this machine.
        case notInRepository
        /// Ignored: it cannot be committed by accident.
        case ignored
        /// Would show up as a new file to commit.
        case notIgnored
        /// Already committed: ignoring it changes nothing.
        case tracked
    }

    /// The project folder.
    let directory: String
    /// The git executable, when there is one.
    let git: String?

    init(directory: String, path: String? = getenv("PATH").map { String(cString: $0) }) {
        self.directory = directory
        self.git = Self.find("git", in: path)
    }

    /// What git says about `relativePath` (relative to ``directory``).
    func answer(for relativePath: String) -> Answer {
        guard let git else { return .notInRepository }
        // Exit 0: tracked. 1: not tracked. 128: not a work tree.
        switch run([git, "-C", directory, "ls-files", "--error-unmatch", "--", relativePath]) {
        case 0: return .tracked
        case 1: break
        default: return .notInRepository
        }
        switch run([git, "-C", directory, "check-ignore", "-q", "--", relativePath]) {
        case 0: return .ignored
        case 1: return .notIgnored
        default: return .notInRepository
        }
    }

    /// Runs `arguments` with stdio on /dev/null; its exit status, or -1 when it did not run.
    private func run(_ arguments: [String]) -> Int32 {
        guard
            case .success(let pid) = ProcessSpawn.spawn(
                arguments, stdio: [.devNull, .devNull, .devNull], newSession: false)
        else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { return -1 }
        }
        // WIFEXITED / WEXITSTATUS by hand: the macros are not imported into Swift.
        return status & 0x7F == 0 ? (status >> 8) & 0xFF : -1
    }

    /// The first executable `name` in the colon-separated `path`.
    static func find(_ name: String, in path: String?) -> String? {
        for folder in (path ?? "/usr/bin:/bin").split(separator: ":") where folder.hasPrefix("/") {
            let candidate = folder + "/" + name
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
