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
        var storage: [UInt8] = []
        storage.reserveCapacity(arguments.reduce(1) { $0 + $1.count })
        var offsets: [Int] = []
        offsets.reserveCapacity(arguments.count)
        for argument in arguments {
            offsets.append(storage.count)
            storage.append(contentsOf: argument)
        }
        storage.append(0)  // never empty, so the base address exists
        var lengths = arguments.map(\.count)
        let formatted: Result<Void, RedisClientError> = storage.withUnsafeBufferPointer { bytes in
            guard let base = bytes.baseAddress else { return .failure(.invalidCommand("no storage")) }
            let raw = UnsafeRawPointer(base)
            var argv: [UnsafePointer<CChar>?] = offsets.map {
                (raw + $0).assumingMemoryBound(to: CChar.self)
            }
            var target: UnsafeMutablePointer<CChar>? = nil
            let length = argv.withUnsafeMutableBufferPointer { argvPointer in
                lengths.withUnsafeMutableBufferPointer { lengthPointer in
                    redisFormatCommandArgv(
                        &target, Int32(arguments.count), argvPointer.baseAddress, lengthPointer.baseAddress)
                }
            }
            guard length >= 0, let command = target else {
                return .failure(.invalidCommand("hiredis could not format the command"))
            }
            defer { redisFreeCommand(command) }
            buffer.writeBytes(UnsafeRawBufferPointer(start: command, count: Int(length)))
            return .success(())
        }
        try formatted.get()
    }
}
