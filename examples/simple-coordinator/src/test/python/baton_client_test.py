"""Baton's gRPC API as a Python client sees it: every RPC of baton.v1.Baton and every error code the
proto documents, against a running 3-node cluster of the example service.

Run by GrpcPythonClientIT, which starts the nodes, generates baton_pb2 and reflection_pb2 with
protoc into a directory on PYTHONPATH, and calls:

  python3 baton_client_test.py --nodes n1=127.0.0.1:PORT,n2=...,n3=... cluster
      (the three nodes up; the server keeps at most --watch-history events for watches)
  python3 baton_client_test.py --nodes n1=127.0.0.1:PORT no-quorum
      (the only node left of three: no majority)

Stubs are made from the service descriptor that protoc generated, as grpc's own generated stubs
are. Each check prints one line; the first failure ends the run with exit code 1.
"""

import argparse
import hashlib
import queue
import sys
import threading
import time

import grpc
from google.protobuf import descriptor_pb2

import baton_pb2
import reflection_pb2

SERVICE = baton_pb2.DESCRIPTOR.services_by_name["Baton"]
DEADLINE = 15.0  # seconds, for every unary call
MIB = 1024 * 1024


class Stub:
    """One callable per RPC of baton.v1.Baton, built from the generated descriptor."""

    def __init__(self, channel):
        for method in SERVICE.methods:
            proto = descriptor_pb2.MethodDescriptorProto()
            method.CopyToProto(proto)
            request = getattr(baton_pb2, method.input_type.name)
            response = getattr(baton_pb2, method.output_type.name)
            path = "/%s/%s" % (SERVICE.full_name, method.name)
            factory = channel.unary_stream if proto.server_streaming else channel.unary_unary
            setattr(self, method.name, factory(path, request_serializer=request.SerializeToString,
                                               response_deserializer=response.FromString))


class CheckFailed(Exception):
    pass


def check(condition, what):
    if not condition:
        raise CheckFailed(what)


def ok(what):
    print("ok   " + what, flush=True)


def expect_error(code, call, *contains, trailer=None):
    """Runs call(); it must fail with gRPC status code, a message containing every one of contains."""
    try:
        call()
    except grpc.RpcError as e:
        check(e.code() == code, "expected %s, got %s: %s" % (code.name, e.code().name, e.details()))
        for text in contains:
            check(text in (e.details() or ""), "expected %r in the message of %s, got %r" % (text, code.name, e.details()))
        if trailer is not None:
            trailers = dict(e.trailing_metadata() or ())
            for key, value in trailer.items():
                check(trailers.get(key) == value, "expected trailer %s=%s, got %s" % (key, value, trailers))
        return e
    raise CheckFailed("expected %s, the call succeeded" % code.name)


class StreamReader:
    """Reads a server stream on a thread, so that a silent stream fails a check instead of hanging it."""

    def __init__(self, stream):
        self.stream = stream
        self.got = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            for message in self.stream:
                self.got.put(message)
        except grpc.RpcError as e:
            self.got.put(e)

    def next(self, timeout=DEADLINE):
        try:
            item = self.got.get(timeout=timeout)
        except queue.Empty:
            raise CheckFailed("no stream message within %.1f s" % timeout)
        if isinstance(item, grpc.RpcError):
            raise item
        return item

    def take(self, count, timeout=DEADLINE):
        return [self.next(timeout) for _ in range(count)]

    def cancel(self):
        self.stream.cancel()


def first_messages(stream, count, timeout=DEADLINE):
    """The first count messages of a server stream."""
    reader = StreamReader(stream)
    try:
        return reader.take(count, timeout)
    finally:
        reader.cancel()


def wait_for(what, condition, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise CheckFailed("not within %.0f s: %s" % (timeout, what))


class Cluster:
    def __init__(self, nodes):
        self.address = dict(spec.split("=", 1) for spec in nodes.split(","))
        self.stubs = {node: Stub(grpc.insecure_channel(address, options=[
            ("grpc.max_receive_message_length", 8 * MIB), ("grpc.max_send_message_length", 8 * MIB)]))
            for node, address in self.address.items()}

    def stub(self, node):
        return self.stubs[node]

    def status(self, node):
        return self.stub(node).Status(baton_pb2.StatusRequest(), timeout=DEADLINE)

    def role(self, node, role):
        return next(r for r in self.status(node).roles if r.role == role)

    def active(self, role):
        """The node active for role, once every node names the same one and it reports ACTIVE itself."""
        def agreed():
            named = {self.role(n, role).active for n in self.address}
            if len(named) != 1:
                return None
            node = named.pop()
            return node if node in self.address and self.role(node, role).state == "ACTIVE" else None
        return wait_for(role + " active on one node that every node names", agreed)


def reflection(cluster, node):
    channel = grpc.insecure_channel(cluster.address[node])
    info = channel.stream_stream("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
                                 request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
                                 response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)
    requests = [reflection_pb2.ServerReflectionRequest(list_services=""),
                reflection_pb2.ServerReflectionRequest(file_containing_symbol=SERVICE.full_name)]
    replies = list(info(iter(requests), timeout=DEADLINE))
    services = [s.name for s in replies[0].list_services_response.service]
    check(SERVICE.full_name in services, "reflection lists %s: %s" % (SERVICE.full_name, services))
    files = [descriptor_pb2.FileDescriptorProto.FromString(b)
             for b in replies[1].file_descriptor_response.file_descriptor_proto]
    methods = {m.name for f in files for s in f.service if s.name == SERVICE.name for m in s.method}
    check(methods == {m.name for m in SERVICE.methods},
          "reflection describes every RPC: %s" % sorted(methods))
    ok("server reflection lists %s and describes its %d RPCs" % (SERVICE.full_name, len(methods)))


def cluster_checks(cluster, watch_history):
    nodes = sorted(cluster.address)
    reflection(cluster, nodes[0])

    # Status on every node: the same leader, both roles, each reported by the node itself
    statuses = {n: cluster.status(n) for n in nodes}
    for n, s in statuses.items():
        check(s.node == n and s.backend == "ratis" and s.placement == "leader", "status of %s: %s" % (n, s))
        check({r.role for r in s.roles} == {"rootcoord", "querycoord"}, "roles of %s" % n)
        check(all(r.node == n for r in s.roles), "each role reported by %s names it" % n)
    active = cluster.active("rootcoord")
    standbys = [n for n in nodes if n != active]
    leaders = {cluster.status(n).raft.leader for n in nodes}
    check(leaders == {active}, "with the leader placement the Raft leader %s is the active %s" % (leaders, active))
    ok("Status on %s: rootcoord and querycoord active on %s, Raft leader %s" % (nodes, active, active))

    # WatchRoles: the node's roles at once
    roles = first_messages(cluster.stub(active).WatchRoles(baton_pb2.WatchRolesRequest(), timeout=DEADLINE), 2)
    check({r.role for r in roles} == {"rootcoord", "querycoord"} and all(r.state == "ACTIVE" for r in roles),
          "WatchRoles on the active starts with its roles: %s" % roles)
    ok("WatchRoles starts with the node's roles, ACTIVE on %s" % active)

    # writes from a standby are forwarded; reads linearizable from another node, or stale
    writer, reader = standbys[0], standbys[1]
    put = cluster.stub(writer).Put(baton_pb2.PutRequest(key="py/a", value=b"1"), timeout=DEADLINE)
    check(put.succeeded and put.revision > 0, "Put: %s" % put)
    got = cluster.stub(reader).Get(baton_pb2.GetRequest(key="py/a"), timeout=DEADLINE)
    check(len(got.kvs) == 1 and got.kvs[0].value == b"1" and got.kvs[0].mod_revision == put.revision
          and got.revision >= put.revision, "linearizable Get on another node sees the Put: %s" % got)
    stale = wait_for("a stale Get on the writer sees its own Put", lambda: [
        kv for kv in cluster.stub(writer).Get(baton_pb2.GetRequest(key="py/a", stale=True), timeout=DEADLINE).kvs
        if kv.mod_revision == put.revision])
    check(stale[0].create_revision == put.revision and stale[0].version == 1, "stale Get: %s" % stale)
    ok("Put on standby %s (forwarded, revision %d), Get on %s (linearizable) and stale" % (writer, put.revision, reader))

    # CompareAndSet: a failed compare is not an error; 0 means "only if absent"
    lost = cluster.stub(reader).CompareAndSet(baton_pb2.CompareAndSetRequest(
        key="py/a", expected_mod_revision=put.revision - 1, value=b"x"), timeout=DEADLINE)
    check(not lost.succeeded, "CompareAndSet with an old revision does not succeed: %s" % lost)
    won = cluster.stub(reader).CompareAndSet(baton_pb2.CompareAndSetRequest(
        key="py/a", expected_mod_revision=put.revision, value=b"2"), timeout=DEADLINE)
    check(won.succeeded and won.revision > put.revision, "CompareAndSet with the current revision: %s" % won)
    created = cluster.stub(writer).CompareAndSet(baton_pb2.CompareAndSetRequest(
        key="py/b", expected_mod_revision=0, value=b"new"), timeout=DEADLINE)
    again = cluster.stub(writer).CompareAndSet(baton_pb2.CompareAndSetRequest(
        key="py/b", expected_mod_revision=0, value=b"again"), timeout=DEADLINE)
    check(created.succeeded and not again.succeeded, "CompareAndSet 0 creates once: %s %s" % (created, again))
    ranged = cluster.stub(active).Range(baton_pb2.RangeRequest(prefix="py/"), timeout=DEADLINE)
    check([(kv.key, kv.value) for kv in ranged.kvs] == [("py/a", b"2"), ("py/b", b"new")], "Range: %s" % ranged)
    ok("CompareAndSet (stale revision: not applied; current: applied; 0: only if absent) and Range")

    # Watch: from 0 on one node; each event says where to resume, and resuming on another node
    # from it neither loses nor repeats anything
    events = StreamReader(cluster.stub(reader).Watch(baton_pb2.WatchRequest(prefix="py/w/"), timeout=60))
    # 0 means "from this node's applied revision when the watch opens": probe until it is open
    for attempt in range(20):
        cluster.stub(writer).Put(baton_pb2.PutRequest(key="py/w/0", value=b"probe"), timeout=DEADLINE)
        try:
            events.next(timeout=1.0)
            break
        except CheckFailed:
            check(attempt < 19, "the watch from 0 delivered none of 20 probes")
    first = cluster.stub(writer).Put(baton_pb2.PutRequest(key="py/w/1", value=b"a"), timeout=DEADLINE)
    deleted = cluster.stub(writer).Delete(baton_pb2.DeleteRequest(key="py/w/1"), timeout=DEADLINE)
    seen = []
    while len(seen) < 2:
        event = events.next()
        if event.kv.key != "py/w/0":  # later probes, if the first ones arrived late
            seen.append(event)
    events.cancel()
    check([(e.type, e.kv.key, e.revision) for e in seen] == [
        (baton_pb2.WatchEvent.PUT, "py/w/1", first.revision), (baton_pb2.WatchEvent.DELETE, "py/w/1", deleted.revision)],
        "Watch delivers the put and the delete in order: %s" % seen)
    check([e.next_revision for e in seen] == [first.revision + 1, deleted.revision + 1],
          "next_revision is revision + 1: %s" % [e.next_revision for e in seen])
    later = cluster.stub(writer).Put(baton_pb2.PutRequest(key="py/w/2", value=b"b"), timeout=DEADLINE)
    resumed = first_messages(cluster.stub(active).Watch(baton_pb2.WatchRequest(
        prefix="py/w/", from_revision=seen[0].next_revision), timeout=60), 2)
    check([(e.kv.key, e.revision) for e in resumed] == [("py/w/1", deleted.revision), ("py/w/2", later.revision)],
          "a watch resumed on %s from next_revision: %s" % (active, resumed))
    ok("Watch from 0 on %s, resumed on %s from next_revision %d: nothing lost, nothing repeated"
       % (reader, active, seen[0].next_revision))

    # OUT_OF_RANGE: a watch from before the kept history
    for i in range(watch_history + 10):
        cluster.stub(active).Put(baton_pb2.PutRequest(key="py/h/%d" % (i % 5), value=b"h"), timeout=DEADLINE)
    compacted = cluster.stub(active).Watch(baton_pb2.WatchRequest(prefix="py/", from_revision=1), timeout=DEADLINE)
    expect_error(grpc.StatusCode.OUT_OF_RANGE, lambda: first_messages(compacted, 1))
    ok("Watch from revision 1 after more than %d events: OUT_OF_RANGE" % watch_history)

    # value sizes: up to 1 MiB accepted, above it INVALID_ARGUMENT naming the limit, above the
    # server's message limit RESOURCE_EXHAUSTED
    for size in (257 * 1024, 512 * 1024, MIB):
        cluster.stub(writer).Put(baton_pb2.PutRequest(key="py/big", value=bytes(size)), timeout=DEADLINE)
        back = cluster.stub(reader).Get(baton_pb2.GetRequest(key="py/big"), timeout=DEADLINE)
        check(len(back.kvs[0].value) == size, "a %d-byte value reads back whole" % size)
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: cluster.stub(writer).Put(
        baton_pb2.PutRequest(key="py/big", value=bytes(MIB + 1)), timeout=DEADLINE), "1048577 bytes", "maxValueBytes")
    expect_error(grpc.StatusCode.RESOURCE_EXHAUSTED, lambda: cluster.stub(writer).Put(
        baton_pb2.PutRequest(key="py/big", value=bytes(5 * MIB)), timeout=DEADLINE))
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: cluster.stub(writer).Put(
        baton_pb2.PutRequest(key="", value=b"x"), timeout=DEADLINE), "key")
    ok("values of 257 KiB, 512 KiB and 1 MiB stored; 1 MiB + 1: INVALID_ARGUMENT naming maxValueBytes;"
       " 5 MiB: RESOURCE_EXHAUSTED; empty key: INVALID_ARGUMENT")

    # fenced writes: the active's epoch passes, any other is FAILED_PRECONDITION
    epoch = cluster.role(active, "rootcoord").epoch
    fence = baton_pb2.Fence(role="rootcoord", epoch=epoch)
    fenced = cluster.stub(writer).Put(baton_pb2.PutRequest(key="py/f", value=b"ok", fence=fence), timeout=DEADLINE)
    # any other positive epoch is not the current one (the first epoch can be 1)
    old = baton_pb2.Fence(role="rootcoord", epoch=epoch - 1 if epoch > 1 else epoch + 1)
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: cluster.stub(writer).Put(
        baton_pb2.PutRequest(key="py/f", value=b"no", fence=old), timeout=DEADLINE), "stale epoch")
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: cluster.stub(reader).Delete(
        baton_pb2.DeleteRequest(key="py/f", fence=old), timeout=DEADLINE), "stale epoch")
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: cluster.stub(reader).CompareAndSet(
        baton_pb2.CompareAndSetRequest(key="py/f", expected_mod_revision=fenced.revision, value=b"no", fence=old),
        timeout=DEADLINE), "stale epoch")
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: cluster.stub(writer).Put(baton_pb2.PutRequest(
        key="py/f", value=b"no", fence=baton_pb2.Fence(role="nosuchrole", epoch=1)), timeout=DEADLINE), "nosuchrole")
    ok("fenced Put with epoch %d applied; Put, Delete, CompareAndSet fenced with %d: FAILED_PRECONDITION"
       % (epoch, old.epoch))

    # members: register anywhere, heartbeat to the node active for the members' role (querycoord)
    members_active = cluster.active("querycoord")
    registered = cluster.stub(writer).RegisterMember(baton_pb2.RegisterMemberRequest(
        member="querynode-1", address="10.0.0.1:21123"), timeout=DEADLINE)
    check(registered.revision > 0, "RegisterMember: %s" % registered)
    wait_for("the active knows the registered member", lambda: cluster.status(members_active).members.get("querynode-1"))
    cluster.stub(members_active).Heartbeat(baton_pb2.HeartbeatRequest(member="querynode-1"), timeout=DEADLINE)
    check(cluster.status(members_active).members["querynode-1"] == "ALIVE", "the member is ALIVE")
    elsewhere = next(n for n in nodes if n != members_active)
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: cluster.stub(elsewhere).Heartbeat(
        baton_pb2.HeartbeatRequest(member="querynode-1"), timeout=DEADLINE), "node " + members_active,
        trailer={"baton-leader": members_active})
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: cluster.stub(members_active).Heartbeat(
        baton_pb2.HeartbeatRequest(member="ghost"), timeout=DEADLINE), "ghost")
    ok("RegisterMember on %s, Heartbeat on %s: ALIVE; on %s: FAILED_PRECONDITION naming %s (message and"
       " baton-leader trailer); unregistered: INVALID_ARGUMENT" % (writer, members_active, elsewhere, members_active))

    # TransferRole: bad requests, then a transfer asked on a third node
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: cluster.stub(writer).TransferRole(
        baton_pb2.TransferRoleRequest(role="nosuchrole", target=writer), timeout=DEADLINE), "nosuchrole")
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: cluster.stub(writer).TransferRole(
        baton_pb2.TransferRoleRequest(role="rootcoord", target="n9"), timeout=DEADLINE), "n9")
    target, asker = standbys[0], standbys[1]
    before = cluster.role(active, "rootcoord").epoch
    target_roles = StreamReader(cluster.stub(target).WatchRoles(baton_pb2.WatchRolesRequest(), timeout=60))
    cluster.stub(asker).TransferRole(baton_pb2.TransferRoleRequest(role="rootcoord", target=target), timeout=DEADLINE)
    # what a returned TransferRole promises: the target's newer epoch is committed
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: cluster.stub(asker).Put(baton_pb2.PutRequest(
        key="py/f", value=b"old", fence=baton_pb2.Fence(role="rootcoord", epoch=before)), timeout=DEADLINE),
        "stale epoch")
    # and the target reports ACTIVE with that newer epoch once its onActive has returned
    activated = target_roles.next()
    while not (activated.role == "rootcoord" and activated.state == "ACTIVE"):
        activated = target_roles.next()
    target_roles.cancel()
    check(activated.epoch > before and activated.node == target, "the target's activation: %s" % activated)
    ok("TransferRole asked on %s moved rootcoord %s -> %s (epoch %d -> %d); the old epoch's writes fail at once;"
       " unknown role or node: INVALID_ARGUMENT" % (asker, active, target, before, activated.epoch))

    # Peers: the three nodes and the leader; AddPeer and RemovePeer refuse bad requests (a real change is
    # PeerChangeIT's, from Java)
    peers = cluster.stub(reader).Peers(baton_pb2.PeersRequest(), timeout=DEADLINE)
    check(sorted(p.id for p in peers.peers) == nodes and peers.leader in nodes, "Peers: %s" % peers)
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: cluster.stub(reader).RemovePeer(
        baton_pb2.RemovePeerRequest(id="n9"), timeout=DEADLINE), "n9")
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: cluster.stub(reader).AddPeer(
        baton_pb2.AddPeerRequest(id="n9", address="no-port"), timeout=DEADLINE), "no-port")
    ok("Peers on %s: %s, leader %s; RemovePeer of an unknown id, AddPeer of a bad address: INVALID_ARGUMENT"
       % (reader, [p.id for p in peers.peers], peers.leader))

    # Backup: the file's bytes in chunks, then a summary whose revision covers the last acknowledged write
    last = cluster.stub(writer).Put(baton_pb2.PutRequest(key="py/before-backup", value=b"x"), timeout=DEADLINE)
    chunks = list(cluster.stub(reader).Backup(baton_pb2.BackupRequest(), timeout=60))
    data = b"".join(c.data for c in chunks)
    summary = chunks[-1].info
    check(data[:8] == b"BATONBAK" and summary.bytes == len(data) and summary.revision >= last.revision
          and hashlib.sha256(data[:-32]).hexdigest() == summary.sha256 == data[-32:].hex(),
          "Backup: %d bytes, summary %s" % (len(data), summary))
    ok("Backup on %s: %d bytes in %d messages, revision %d >= the last acknowledged write's %d, SHA-256 matches"
       % (reader, len(data), len(chunks), summary.revision, last.revision))


def no_quorum_checks(cluster):
    node = sorted(cluster.address)[0]
    started = time.monotonic()
    expect_error(grpc.StatusCode.UNAVAILABLE, lambda: cluster.stub(node).Put(
        baton_pb2.PutRequest(key="py/nq", value=b"x"), timeout=60))
    took = time.monotonic() - started
    expect_error(grpc.StatusCode.UNAVAILABLE, lambda: cluster.stub(node).Get(
        baton_pb2.GetRequest(key="py/a"), timeout=60))
    stale = cluster.stub(node).Get(baton_pb2.GetRequest(key="py/a", stale=True), timeout=DEADLINE)
    check(len(stale.kvs) == 1, "a stale Get still answers from the local replica: %s" % stale)
    ok("without a majority on %s: Put UNAVAILABLE after %.1f s, linearizable Get UNAVAILABLE, stale Get answers"
       % (node, took))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", required=True, help="id=host:port,... of the nodes' gRPC (HTTP) ports")
    parser.add_argument("--watch-history", type=int, default=50)
    parser.add_argument("phase", choices=["cluster", "no-quorum"])
    args = parser.parse_args()
    cluster = Cluster(args.nodes)
    try:
        if args.phase == "cluster":
            cluster_checks(cluster, args.watch_history)
        else:
            no_quorum_checks(cluster)
    except (CheckFailed, grpc.RpcError) as e:
        print("FAIL " + (str(e) if isinstance(e, CheckFailed) else "%s: %s" % (e.code().name, e.details())),
              flush=True)
        return 1
    print("all checks passed (%s)" % args.phase, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
