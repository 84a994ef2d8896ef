#!/usr/bin/env python3
"""A small HabitRPC v1 server written from docs/PROTOCOL.md alone, for the C client's loopback test: a second,
independent server beside the Swift rpc-echo-server (both run the same test). Listens on
127.0.0.1 port 0 and prints "listening on <port>" once ready; SIGTERM drains every connection (DRAIN, wait
for DRAIN_ACK and no open call, GOAWAY NO_ERROR) and exits.

Methods of test.Echo, with rpc-echo-server's payload conventions:
  Unary  echoes the request message
  Slow   sleeps the u32 (big-endian) milliseconds of the request, then echoes it; honours timeout_us
         (DEADLINE_EXCEEDED) and CANCEL (CANCELLED)
  Fail   answers NOT_FOUND with the request's text as the status message
Any other method: UNIMPLEMENTED + NOT_PROCESSED.
A RESPONSE over the client's MAX_FRAME_SIZE is never sent: RESOURCE_EXHAUSTED naming both sizes replaces it (§5.2).
"""
import asyncio
import signal
import struct
import sys

REQUEST, RESPONSE, DATA, CANCEL, CREDIT = 0x01, 0x02, 0x03, 0x04, 0x05
SETTINGS, PING, PONG, DRAIN, DRAIN_ACK, GOAWAY = 0x40, 0x41, 0x42, 0x43, 0x44, 0x45
END_STREAM, NOT_PROCESSED, NO_MESSAGE = 0x01, 0x02, 0x04
MAX_FRAME_SIZE = 4194304


def fnv1a(name):
    h = 0x811C9DC5
    for b in name.encode():
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


METHODS = {fnv1a("/test.Echo/" + m): m for m in ("Unary", "Slow", "Fail")}
CONNECTIONS = set()


def frame(call_id, ftype, flags=0, meta=b"", payload=b""):
    return struct.pack(">IIBBH", len(meta) + len(payload), call_id, ftype, flags, len(meta)) + meta + payload


def response(call_id, code, message=None, status="", trailers=b"", not_processed=False):
    flags = (NOT_PROCESSED if not_processed else 0) | (NO_MESSAGE if message is None else 0)
    status_bytes = status.encode()
    meta = struct.pack(">BH", code, len(status_bytes)) + status_bytes + trailers
    return frame(call_id, RESPONSE, flags, meta, message or b"")


class ProtocolError(Exception):
    pass


class Connection:
    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer
        self.calls = {}  # call id -> asyncio.Task
        self.drain_acked = asyncio.Event()
        self.draining = False
        self.settings_seen = False
        self.client_max_frame_size = MAX_FRAME_SIZE  # the default until the client's first SETTINGS (§6)

    def send(self, data):
        self.writer.write(data)

    async def goaway(self, error, message):
        self.send(frame(0, GOAWAY, 0, struct.pack(">I", error) + message.encode()))
        await self.writer.drain()
        self.writer.close()

    async def run(self):
        preface = await self.reader.readexactly(8)
        if preface[:4] != b"HRPC" or preface[4] != 1:
            await self.goaway(1, "bad preface: not a HabitRPC client")
            return
        self.send(frame(0, SETTINGS, 0, struct.pack(">HIHIHI", 1, MAX_FRAME_SIZE, 2, 100, 3, 16)))
        first = True
        try:
            while True:
                header = await self.reader.readexactly(12)
                length, call_id, ftype, flags, meta_len = struct.unpack(">IIBBH", header)
                if length > MAX_FRAME_SIZE or meta_len > length:
                    raise ProtocolError("frame of %d bytes exceeds max %d" % (length, MAX_FRAME_SIZE))
                body = await self.reader.readexactly(length)
                meta, payload = body[:meta_len], body[meta_len:]
                if first and ftype != SETTINGS:
                    raise ProtocolError("first frame is not SETTINGS")
                first = False
                self.handle(call_id, ftype, flags, meta, payload)
        except asyncio.IncompleteReadError:
            pass
        except ProtocolError as error:
            await self.goaway(1, str(error))
        finally:
            for task in self.calls.values():
                task.cancel()

    def handle(self, call_id, ftype, flags, meta, payload):
        if ftype == SETTINGS:
            if len(meta) % 6:
                raise ProtocolError("SETTINGS meta length not a multiple of 6")
            for offset in range(0, len(meta), 6):
                setting_id, value = struct.unpack(">HI", meta[offset:offset + 6])
                if setting_id == 1 and not self.settings_seen:
                    self.client_max_frame_size = value
            self.settings_seen = True
        elif ftype == REQUEST:
            if call_id == 0 or call_id in self.calls:
                raise ProtocolError("bad or duplicate call id %d" % call_id)
            if len(meta) < 14:
                raise ProtocolError("REQUEST meta too short")
            method_id, timeout_us, name_len = struct.unpack(">IQH", meta[:14])
            name = meta[14:14 + name_len].decode()
            method = METHODS.get(method_id) or METHODS.get(fnv1a(name)) if (method_id or name) else None
            message = None if flags & NO_MESSAGE else payload
            if method is None:
                self.send(response(call_id, 12, status="unknown method id 0x%08x name '%s'" % (method_id, name),
                                   not_processed=True))
                return
            task = asyncio.ensure_future(self.serve(call_id, method, timeout_us, message))
            self.calls[call_id] = task
        elif ftype == CANCEL:
            task = self.calls.get(call_id)
            if task is not None:
                task.cancel()
        elif ftype == PING:
            if len(payload) != 8:
                raise ProtocolError("PING length")
            self.send(frame(0, PONG, 0, b"", payload))
        elif ftype == DRAIN_ACK:
            self.drain_acked.set()
        elif ftype == GOAWAY:
            self.writer.close()
        elif ftype in (DATA, CREDIT, PONG):
            pass
        elif ftype < 0x80:
            raise ProtocolError("frame type 0x%02x not expected from a client" % ftype)

    async def serve(self, call_id, method, timeout_us, message):
        try:
            budget = timeout_us / 1e6 if timeout_us else None
            result = await asyncio.wait_for(self.handler(method, message), budget)
            self.send(self.fitted(result(call_id)))
        except asyncio.TimeoutError:
            self.send(response(call_id, 4, status="deadline exceeded"))
        except asyncio.CancelledError:
            self.send(response(call_id, 1, status="cancelled"))
        except Exception as error:  # every REQUEST gets exactly one RESPONSE
            self.send(response(call_id, 13, status="handler failed: %s" % type(error).__name__))
        finally:
            self.calls.pop(call_id, None)

    async def handler(self, method, message):
        if method == "Unary":
            return lambda cid: response(cid, 0, message)
        if method == "Slow":
            await asyncio.sleep(struct.unpack(">I", message[:4])[0] / 1000)
            return lambda cid: response(cid, 0, message)
        if method == "Fail":
            return lambda cid: response(cid, 5, status=message.decode(errors="replace"))
        raise ValueError(method)

    def fitted(self, data):
        """A RESPONSE as encoded, or RESOURCE_EXHAUSTED in its place if it exceeds the client's MAX_FRAME_SIZE."""
        length, call_id, _, flags = struct.unpack(">IIBB", data[:10])
        if length <= self.client_max_frame_size:
            return data
        return response(call_id, 8, status="RESPONSE frame of %d bytes exceeds the client's max %d"
                        % (length, self.client_max_frame_size), not_processed=bool(flags & NOT_PROCESSED))

    async def drain(self):
        if self.draining:
            return
        self.draining = True
        self.send(frame(0, DRAIN))
        await self.drain_acked.wait()
        while self.calls:
            await asyncio.sleep(0.01)
        await self.goaway(0, "drained")


async def main():
    async def on_client(reader, writer):
        connection = Connection(reader, writer)
        CONNECTIONS.add(connection)
        try:
            await connection.run()
        finally:
            CONNECTIONS.discard(connection)
            writer.close()

    server = await asyncio.start_server(on_client, "127.0.0.1", 0)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("listening on %d" % server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await stop.wait()
        server.close()
        await asyncio.wait_for(asyncio.gather(*(c.drain() for c in list(CONNECTIONS))), 10)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
