// The floor for the hook benchmark: a Swift program that does nothing, linked like send-event
// (-static-executable), so the table shows what the Swift runtime's own start-up costs.
#if canImport(Glibc)
import Glibc
#endif
exit(0)
