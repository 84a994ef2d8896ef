// habit-proto-conformance: the Swift side of the cross-implementation conformance tests.
//
// Serves framed requests (see ConformanceProtocol.swift) from standard input until it closes, so
// one process answers every request of a test run. Only Tests/Interop talks to it.

import HabitAPI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Frames larger than this end the process: the test harness never sends them.
let maximumFrameSize = 64 << 20

/// Buffered reads of standard input.
struct StandardInput {
    private var buffer: [UInt8] = []
    private var position = 0

    /// The next `count` bytes, or nil once the input ends.
    mutating func take(_ count: Int) -> ArraySlice<UInt8>? {
        while buffer.count - position < count {
            buffer.removeFirst(position)
            position = 0
            var chunk = [UInt8](repeating: 0, count: max(1 << 16, count - buffer.count))
            let received = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if received <= 0 { return nil }
            buffer.append(contentsOf: chunk[..<received])
        }
        defer { position += count }
        return buffer[position..<position + count]
    }
}

/// Writes all of `bytes` to a file descriptor (1 is standard output, 2 standard error).
func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress.map { $0 + offset }, $0.count - offset) }
        if written <= 0 { return false }
        offset += written
    }
    return true
}

let codec = ConformanceCodec(types: HabitAPIRegistry.messageTypes)
var input = StandardInput()
while let header = input.take(4) {
    let length = header.reduce(0) { $0 << 8 | Int($1) }
    guard length <= maximumFrameSize, let body = input.take(length) else {
        _ = writeAll(Array("habit-proto-conformance: bad frame of \(length) bytes\n".utf8), to: 2)
        exit(2)
    }
    let (status, payload) = codec.answer(body)
    let answerLength = payload.count + 1
    let frame = [UInt8(truncatingIfNeeded: answerLength >> 24), UInt8(truncatingIfNeeded: answerLength >> 16),
        UInt8(truncatingIfNeeded: answerLength >> 8), UInt8(truncatingIfNeeded: answerLength), status.rawValue]
    guard writeAll(frame + payload, to: 1) else { exit(1) }
}
