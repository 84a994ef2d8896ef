import CHiredis
public import NIOCore

/// Formats a command as a RESP multi-bulk with hiredis's `redisFormatCommandArgv` (binary safe).
public enum RedisCommandEncoder {
    /// Appends the encoding of `arguments` (command name first) to `buffer`.
    ///
    /// - Throws: `RedisClientError.invalidCommand` when the command is empty or hiredis refuses it
    ///   (it computes the length in an `int`, so a command must stay under 2 GiB).
    public static func encode(_ arguments: [[UInt8]], into buffer: inout ByteBuffer) throws(RedisClientError) {
        guard !arguments.isEmpty, arguments.count <= Int(Int32.max) else {
            throw .invalidCommand("a command needs between 1 and Int32.max arguments")
        }
        // One contiguous copy of every argument; argv points into it, argvlen carries the lengths.
        // Scratch space on the stack (temporary allocations), so a command costs no Swift heap
        // allocation besides hiredis's own.
        let byteCount = arguments.reduce(1) { $0 + $1.count }  // never empty, so the base address exists
        let formatted = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: byteCount) { storage in
            withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: arguments.count) { argv in
                withUnsafeTemporaryAllocation(of: Int.self, capacity: arguments.count) { lengths in
                    format(arguments, storage: storage, argv: argv, lengths: lengths, into: &buffer)
                }
            }
        }
        guard formatted else { throw .invalidCommand("hiredis could not format the command") }
    }

    private static func format(
        _ arguments: [[UInt8]],
        storage: UnsafeMutableBufferPointer<UInt8>,
        argv: UnsafeMutableBufferPointer<UnsafePointer<CChar>?>,
        lengths: UnsafeMutableBufferPointer<Int>,
        into buffer: inout ByteBuffer
    ) -> Bool {
        guard let base = storage.baseAddress else { return false }
        var offset = 0
        for (index, argument) in arguments.enumerated() {
            argument.withUnsafeBufferPointer { bytes in
                if let source = bytes.baseAddress { (base + offset).initialize(from: source, count: bytes.count) }
            }
            argv[index] = UnsafeRawPointer(base + offset).assumingMemoryBound(to: CChar.self)
            lengths[index] = argument.count
            offset += argument.count
        }
        var target: UnsafeMutablePointer<CChar>? = nil
        let length = redisFormatCommandArgv(&target, Int32(arguments.count), argv.baseAddress, lengths.baseAddress)
        guard length >= 0, let command = target else { return false }
        defer { redisFreeCommand(command) }
        buffer.writeBytes(UnsafeRawBufferPointer(start: command, count: Int(length)))
        return true
    }
}
