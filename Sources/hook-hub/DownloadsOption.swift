// hook-hub's --downloads and --public-url: the installer and release archives served next to the
// wire contract's endpoints (see HookKitHub's Downloads).
import HookKitSystem
import HookKit
import HookKitHub

func makeDownloads(_ options: Options) -> Downloads? {
    guard let directory = options.downloads else {
        if options.publicURL != nil { fail("--public-url goes with --downloads DIR") }
        return nil
    }
    let downloads: Downloads
    do {
        downloads = try Downloads(directory: directory, publicURL: options.publicURL)
    } catch {
        fail(error.description)
    }
    if let problem = downloads.installScriptProblem {
        say("hook-hub: warning: --downloads: \(problem); GET /install.sh will fail", to: 2)
    }
    return downloads
}
