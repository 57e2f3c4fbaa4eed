#!/usr/bin/env python3
"""An example Python client of the accessgraph gRPC service.

The stubs are generated from proto/accessgraph/v1/accessgraph.proto with grpcio-tools when the
script starts (into a temporary directory; nothing generated is committed). It checks the
service's health, lists the snapshots, runs one query and prints each row as it streams in.

    python3 -m pip install -r clients/python/requirements.txt
    python3 clients/python/accessgraph_client.py --server 127.0.0.1:50151 \
        --token-file read.token 'who can reach admin in account 123456789012'
"""

import argparse
import pathlib
import sys
import tempfile

import grpc
from grpc_tools import protoc

ROOT = pathlib.Path(__file__).resolve().parents[2]
PROTO_DIR = ROOT / "proto"


def generate_stubs(out_dir):
    """Compiles the schema, and the standard health schema, into out_dir."""
    include = pathlib.Path(protoc.__file__).parent / "_proto"
    # The health schema goes under its own directory name so that its Python module does not
    # collide with the `grpc` package; its protobuf package stays `grpc.health.v1`.
    health_dir = out_dir / "health_schema"
    health_dir.mkdir(parents=True, exist_ok=True)
    (health_dir / "health.proto").write_text(HEALTH_PROTO)
    for proto, proto_root in (
        ("accessgraph/v1/accessgraph.proto", PROTO_DIR),
        ("health_schema/health.proto", out_dir),
    ):
        code = protoc.main([
            "grpc_tools.protoc",
            f"-I{proto_root}",
            f"-I{include}",
            f"--python_out={out_dir}",
            f"--grpc_python_out={out_dir}",
            str(proto_root / proto),
        ])
        if code != 0:
            raise SystemExit(f"protoc failed on {proto}")
    for package in ("accessgraph", "accessgraph/v1", "health_schema"):
        (out_dir / package / "__init__.py").touch()


# The standard health service (grpc.health.v1), as every gRPC implementation defines it.
HEALTH_PROTO = """
syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse {
  enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
  ServingStatus status = 1;
}
service Health {
  rpc Check(HealthCheckRequest) returns (HealthCheckResponse);
}
"""


def load_stubs():
    out_dir = pathlib.Path(tempfile.mkdtemp(prefix="accessgraph-stubs-"))
    generate_stubs(out_dir)
    sys.path.insert(0, str(out_dir))
    from accessgraph.v1 import accessgraph_pb2, accessgraph_pb2_grpc
    from health_schema import health_pb2, health_pb2_grpc
    return accessgraph_pb2, accessgraph_pb2_grpc, health_pb2, health_pb2_grpc


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("query", help="a query; with --choke-points, a target (`admin in org`)")
    parser.add_argument("--choke-points", action="store_true",
                        help="call ChokePoints: what cuts the paths to the target")
    parser.add_argument("--keep", action="append", default=[],
                        help="with --choke-points: a principal or `policy \"LABEL\"` to keep")
    parser.add_argument("--check", action="store_true",
                        help="with --choke-points: rebuild the graph with the plan made")
    parser.add_argument("--server", default="127.0.0.1:50151", help="HOST:PORT")
    parser.add_argument("--token", help="the bearer token")
    parser.add_argument("--token-file", help="a file holding the bearer token")
    parser.add_argument("--ca", help="CA certificate (PEM): use TLS")
    args = parser.parse_args()

    pb, pb_grpc, health_pb, health_grpc = load_stubs()
    token = args.token
    if args.token_file:
        token = pathlib.Path(args.token_file).read_text().strip()
    metadata = [("authorization", f"Bearer {token}")] if token else []
    if args.ca:
        credentials = grpc.ssl_channel_credentials(pathlib.Path(args.ca).read_bytes())
        channel = grpc.secure_channel(args.server, credentials)
    else:
        channel = grpc.insecure_channel(args.server)

    try:
        return run(args, pb, pb_grpc, health_pb, health_grpc, channel, metadata)
    except grpc.RpcError as error:
        # A refused token (UNAUTHENTICATED), a server that is down (UNAVAILABLE) or a query
        # error: one line, exit code 2, as the command line does.
        print(f"{error.code().name}: {error.details()}", file=sys.stderr)
        return 2


def run(args, pb, pb_grpc, health_pb, health_grpc, channel, metadata):
    health = health_grpc.HealthStub(channel).Check(
        health_pb.HealthCheckRequest(service="accessgraph.v1.AccessGraph"), timeout=10)
    print("health:", health_pb.HealthCheckResponse.ServingStatus.Name(health.status))

    stub = pb_grpc.AccessGraphStub(channel)
    listed = stub.ListSnapshots(pb.ListSnapshotsRequest(), metadata=metadata, timeout=10)
    ids = ", ".join(str(snapshot.id) for snapshot in listed.snapshots)
    print(f"snapshots: {ids} (active {listed.active})")

    if args.choke_points:
        return choke_points(args, pb, stub, metadata)

    rows = 0
    for message in stub.Query(pb.QueryRequest(query=args.query), metadata=metadata, timeout=60):
        item = message.WhichOneof("item")
        if item == "header":
            print(f"query: {message.header.query} (snapshot {message.header.snapshot.id})")
        elif item == "row":
            row = message.row
            hops = len(row.path)
            mark = ", conditional" if row.conditional else ""
            print(f"{row.principal} -> {row.target} ({hops} hop{'' if hops == 1 else 's'}{mark})")
            rows += 1
        elif item == "summary":
            print(f"{rows} rows (of {message.summary.total})")
            # What the answer may miss (accounts without IAM data, skipped files, ...).
            for warning in message.summary.warnings:
                print(f"warning: {warning}")
    return 0


def choke_points(args, pb, stub, metadata):
    request = pb.ChokePointsRequest(target=args.query, keep=args.keep, check=args.check)
    rank = 0
    for message in stub.ChokePoints(request, metadata=metadata, timeout=300):
        item = message.WhichOneof("item")
        if item == "choke_point":
            rank += 1
            point = message.choke_point
            change = " and ".join(fix.words for fix in point.change)
            print(f"{rank}. {change}: cuts off {point.disconnects}, "
                  f"on {point.shortest_paths} shortest paths")
        elif item == "answer":
            answer = message.answer
            plan = answer.header.cuts.plan
            print(f"{answer.header.cuts.sources} principals reach the targets")
            print(f"plan ({plan.method}): {len(plan.changes)} changes")
            for change in plan.changes:
                print("  " + " and ".join(fix.words for fix in change.fixes))
            if plan.HasField("check"):
                print(f"check: disconnected={str(plan.check.disconnected).lower()}, "
                      f"still reaching {len(plan.check.still_reaching)}")
            for warning in answer.summary.warnings:
                print(f"warning: {warning}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
