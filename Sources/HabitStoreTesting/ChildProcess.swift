import Foundation

/// A child process started with `posix_spawn` and reaped with `waitpid`.
///
/// Foundation's `Process.waitUntilExit` was seen to hang on Linux when several processes were launched from
/// concurrent tests (the child stayed a zombie, never reaped); this does the few things the tests need
/// directly. Its blocking calls run on Dispatch threads, never on the tests' executor.
public struct ChildProcess: Sendable {
    /// The child's process id (for `kill`).
    public let pid: Int32
    private let outputDescriptor: Int32?

    /// Starts `command[0]` (an absolute path) with the rest as arguments; stdout goes to a pipe when
    /// `capturesOutput`, otherwise to /dev/null. stderr is inherited.
    public static func spawn(_ command: [String], capturesOutput: Bool) throws -> ChildProcess {
        var pipe: [Int32] = [-1, -1]
        guard Foundation.pipe(&pipe) == 0 else { throw StoreTestFailure(description: "pipe() failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if capturesOutput {
            posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_addclose(&actions, pipe[0])
        posix_spawn_file_actions_addclose(&actions, pipe[1])
        let argv = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: Int32 = 0
        let result = posix_spawn(&pid, command[0], &actions, nil, argv, environ)
        close(pipe[1])
        guard result == 0 else {
            close(pipe[0])
            throw StoreTestFailure(description: "cannot start \(command[0]): errno \(result)")
        }
        if !capturesOutput { close(pipe[0]) }
        return ChildProcess(pid: pid, outputDescriptor: capturesOutput ? pipe[0] : nil)
    }

    /// Calls `onLine` for every line the child writes to stdout until it closes it, then reaps the child and
    /// returns how it ended. Blocks: call it from a Dispatch thread.
    public func readLinesAndWait(_ onLine: (String) -> Void) -> (status: Int32, wasKilled: Bool) {
        if let descriptor = outputDescriptor {
            var buffer: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while case let count = read(descriptor, &chunk, chunk.count), count > 0 {
                buffer += chunk[0..<count]
                while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    onLine(String(decoding: buffer[..<newline], as: UTF8.self))
                    buffer.removeSubrange(...newline)
                }
            }
            close(descriptor)
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let signal = status & 0x7f
        return signal == 0 ? ((status >> 8) & 0xff, false) : (signal, true)
    }

    /// Runs `command` to completion and fails unless it exits 0.
    public static func run(_ command: [String]) async throws {
        let child = try spawn(command, capturesOutput: false)
        let (status, wasKilled) = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: child.readLinesAndWait { _ in }) }
        }
        guard status == 0, !wasKilled else {
            throw StoreTestFailure(description: "\(command.joined(separator: " ")) ended with \(status)")
        }
    }
}
