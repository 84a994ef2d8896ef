// The libFuzzer target for FrameDecoder (built with -sanitize=fuzzer -DFUZZING by
// scripts/test.d/50-fuzz-frame-decoder.sh). Built normally, it replays corpus files instead, so a
// crashing input can be reproduced with `swift run frame-decoder-fuzz <file>`.
import NIOCore
import RPCCore

#if canImport(Glibc)
import Glibc
#endif

/// Decodes `bytes` as a server (preface first) and as a client. Any input must end in events or a
/// ProtocolViolation, and every decoded frame must re-encode to bytes that decode again.
func fuzzFrameDecoder(_ bytes: UnsafeRawBufferPointer) {
    for expectsPreface in [true, false] {
        var decoder = FrameDecoder(maxFrameSize: 16_384, expectsPreface: expectsPreface)
        var buffer = ByteBuffer(bytes: bytes)
        while let event = try? decoder.decodeNext(&buffer) {
            guard case .frame(let frame) = event else { continue }
            var reencoded = frame.encoded()
            var again = FrameDecoder(maxFrameSize: UInt32.max, expectsPreface: false)
            guard case .frame(let decodedAgain)? = try? again.decodeNext(&reencoded), decodedAgain.type == frame.type else {
                // A harness assertion, not product code: make libFuzzer report the input.
                abort()
            }
        }
    }
}

#if FUZZING
/// libFuzzer's entry point for running the fuzzer from a custom `main`.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// SwiftPM links an executable's `main` to this symbol; it hands control to libFuzzer.
@_cdecl("frame_decoder_fuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return runFuzzerDriver(&argc, &argv) { data, size in fuzzerTestOneInput(data, size) }
}

/// The input callback libFuzzer's runtime also requires under this name.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzFrameDecoder(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#else
@main
struct ReplayCorpus {
    static func main() {
        for path in CommandLine.arguments.dropFirst() {
            guard let file = fopen(path, "rb") else { continue }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = fread(&chunk, 1, chunk.count, file)
                if count <= 0 { break }
                bytes += chunk[0..<count]
            }
            fclose(file)
            bytes.withUnsafeBytes { fuzzFrameDecoder($0) }
        }
    }
}
#endif
