"""A small Python client for the referral hub's gRPC API (proto/hub/api/v1).

It generates nothing itself: the stubs come from gen_stubs.sh, in a directory given by
--stubs (see add_stubs_argument) or the HUB_PY_STUBS environment variable.

    import hub_client as hc
    pb = hc.load_stubs()                          # or hc.load_stubs("/tmp/stubs")
    hub = hc.HubClient("127.0.0.1:50051", pb)
    gp = hc.Who("gp-riverside", "dr.demo", ["referrer"])
    raised = hub.command(hub.intake.RaiseConcern,
                         pb.intake.RaiseConcernRequest(adult=..., details=...), gp, creates=True)
    concern = hc.concern_key(raised.concern_id)
    hub.track(concern, raised.result)             # later commands on it carry its version
    hub.command(hub.mash.TriageConcern, pb.mash.TriageConcernRequest(concern_id=..., ...),
                triage, target=concern)

What it does for you:
  * identity: against a hub serving mutual TLS (the default of deploy/run-hub.sh), each
    agency's calls go over a channel with that agency's client certificate and carry the
    practitioner's token (TrialCredentials: the files of deploy/make-trial-credentials.sh,
    tokens minted by `hubctl token`); without credentials, development metadata
    x-hub-agency / x-hub-user / x-hub-roles (Who), which hubd trusts only with
    --dev_identity_from_metadata on a loopback address;
  * command headers: a fresh uuid4 command_id per command, and expected_version from the last
    response about the same concern or enquiry (Versions); left unset for commands that
    create (RaiseConcern, RegisterPerson);
  * errors: HubError with the gRPC code, the message and the hub-actual-version trailer that
    a stale expected_version (ABORTED) carries.

Only the standard library, grpc and protobuf (Debian python3-grpcio, python3-protobuf). Run
with /usr/bin/python3.
"""

import argparse
import datetime
import importlib
import os
import subprocess
import sys
import types
import uuid

import grpc
from google.protobuf import timestamp_pb2

STUBS_ENV = "HUB_PY_STUBS"
ACTUAL_VERSION_TRAILER = "hub-actual-version"

# module attribute -> generated module (under the stubs directory).
_MODULES = {
    "reference": "hub.common.v1.reference_pb2",
    "values": "hub.common.v1.values_pb2",
    "command": "hub.api.v1.command_pb2",
    "people": "hub.api.v1.people_service_pb2",
    "people_grpc": "hub.api.v1.people_service_pb2_grpc",
    "intake": "hub.api.v1.referral_intake_service_pb2",
    "intake_grpc": "hub.api.v1.referral_intake_service_pb2_grpc",
    "mash": "hub.api.v1.mash_service_pb2",
    "mash_grpc": "hub.api.v1.mash_service_pb2_grpc",
    "enquiry": "hub.api.v1.enquiry_service_pb2",
    "enquiry_grpc": "hub.api.v1.enquiry_service_pb2_grpc",
    "advocacy": "hub.api.v1.advocacy_service_pb2",
    "advocacy_grpc": "hub.api.v1.advocacy_service_pb2_grpc",
    "views": "hub.api.v1.views_service_pb2",
    "views_grpc": "hub.api.v1.views_service_pb2_grpc",
}


# ---- Stubs ----

def add_stubs_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stubs", default=os.environ.get(STUBS_ENV),
        help=f"directory of Python stubs made by gen_stubs.sh (default: ${STUBS_ENV})")


def load_stubs(stubs_dir=None) -> types.SimpleNamespace:
    """Imports the generated modules from `stubs_dir` (default: $HUB_PY_STUBS).

    Returns a namespace: pb.reference, pb.values, pb.command, pb.people, pb.intake, pb.mash,
    pb.enquiry, pb.advocacy, pb.views (messages and enums) and the *_grpc modules.
    """
    stubs_dir = stubs_dir or os.environ.get(STUBS_ENV)
    if not stubs_dir:
        raise SystemExit(f"no stubs: pass --stubs DIR or set {STUBS_ENV} "
                         "(generate them with tests/e2e/python/gen_stubs.sh DIR)")
    stubs_dir = os.path.abspath(stubs_dir)
    if not os.path.isfile(os.path.join(stubs_dir, "hub", "api", "v1", "command_pb2.py")):
        raise SystemExit(f"{stubs_dir} holds no generated hub stubs: run "
                         f"tests/e2e/python/gen_stubs.sh {stubs_dir}")
    if stubs_dir not in sys.path:
        sys.path.insert(0, stubs_dir)
    return types.SimpleNamespace(
        **{name: importlib.import_module(module) for name, module in _MODULES.items()})


# ---- Identity ----

class Who:
    """A caller: an agency of the partnership, a user id and roles (development identity)."""

    def __init__(self, agency: str, user: str, roles):
        self.agency = agency
        self.user = user
        self.roles = [roles] if isinstance(roles, str) else list(roles)

    def metadata(self):
        return (("x-hub-agency", self.agency), ("x-hub-user", self.user),
                ("x-hub-roles", ",".join(self.roles)))

    def __repr__(self):
        return f"{self.user}@{self.agency}[{','.join(self.roles)}]"


class TrialCredentials:
    """The trial credentials deploy/make-trial-credentials.sh wrote to `directory`: the CA,
    one client certificate per agency (agencies/<agency>.pem/.key) and the signing key from
    which `hubctl token` mints practitioners' tokens (cached per practitioner)."""

    def __init__(self, directory: str, hubctl: str, issuer: str, audience: str):
        self.directory = directory
        self.hubctl = hubctl
        self.issuer = issuer
        self.audience = audience
        self._tokens = {}

    def _read(self, *parts) -> bytes:
        with open(os.path.join(self.directory, *parts), "rb") as f:
            return f.read()

    def channel(self, target: str, agency: str) -> grpc.Channel:
        creds = grpc.ssl_channel_credentials(
            root_certificates=self._read("ca.pem"),
            private_key=self._read("agencies", f"{agency}.key"),
            certificate_chain=self._read("agencies", f"{agency}.pem"))
        # The trial server certificate names localhost and 127.0.0.1.
        return grpc.secure_channel(target, creds,
                                   options=(("grpc.ssl_target_name_override", "localhost"),))

    def token(self, who: "Who") -> str:
        key = (who.agency, who.user, tuple(who.roles))
        if key not in self._tokens:
            out = subprocess.run(
                [self.hubctl, "token", f"--signing_key={self.directory}/signing.key",
                 "--kid=trial-1", f"--issuer={self.issuer}", f"--audience={self.audience}",
                 f"--user={who.user}", f"--agency={who.agency}",
                 f"--roles={','.join(who.roles)}", "--ttl=1h"],
                check=True, capture_output=True, text=True)
            self._tokens[key] = out.stdout.strip()
        return self._tokens[key]


# ---- Versions ----

def concern_key(concern_id: str) -> str:
    return f"concern/{concern_id}"


def enquiry_key(enquiry_id: str) -> str:
    return f"enquiry/{enquiry_id}"


def person_key(person_id: str) -> str:
    return f"person/{person_id}"


class Versions:
    """The version last seen of each concern, enquiry or person (key: concern_key(...) ...).

    A retried command returns its original (possibly older) result, so a version only moves
    forward.
    """

    def __init__(self):
        self._versions = {}

    def get(self, key: str):
        return self._versions.get(key)

    def observe(self, key: str, version: int) -> None:
        if key not in self._versions or version > self._versions[key]:
            self._versions[key] = version

    def reset(self, key: str, version: int) -> None:
        """After re-reading (e.g. from hub-actual-version), whatever the version was."""
        self._versions[key] = version


def new_command_id() -> str:
    return str(uuid.uuid4())


# ---- Errors ----

class HubError(Exception):
    """A refused call: code (grpc.StatusCode), message, and for a stale expected_version the
    stream's actual version (actual_version; None if the trailer was absent)."""

    def __init__(self, method: str, who: Who, err: grpc.RpcError):
        self.method = method
        self.who = who
        self.code = err.code()
        self.message = err.details() or ""
        self.trailers = dict(err.trailing_metadata() or ())
        actual = self.trailers.get(ACTUAL_VERSION_TRAILER)
        self.actual_version = int(actual) if actual is not None else None
        super().__init__(f"{method} as {who}: {self.code.name}: {self.message}")


# ---- Time ----

def now_utc() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def ts(when: datetime.datetime) -> timestamp_pb2.Timestamp:
    t = timestamp_pb2.Timestamp()
    t.FromDatetime(when.astimezone(datetime.timezone.utc).replace(tzinfo=None))
    return t


def from_ts(t: timestamp_pb2.Timestamp) -> datetime.datetime:
    return t.ToDatetime().replace(tzinfo=datetime.timezone.utc)


# ---- NHS numbers ----

def nhs_check_digit(first_nine: str):
    """The modulus-11 check digit of nine digits, or None when no valid number exists."""
    total = sum(int(d) * (10 - i) for i, d in enumerate(first_nine))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def nhs_number(first_nine: str) -> str:
    """A valid 10-digit NHS number from nine digits (use the unissued 999 range for demos)."""
    check = nhs_check_digit(first_nine)
    if len(first_nine) != 9 or not first_nine.isdigit() or check is None:
        raise ValueError(f"no valid NHS number starts {first_nine}")
    return f"{first_nine}{check}"


# ---- The client ----

class HubClient:
    """One channel to hubd, a stub per service and the versions seen.

    command() sends a command with a fresh header; query() sends a read. Both raise HubError
    on a non-OK status.
    """

    # service name -> attribute holding its stub
    _SERVICES = {"People": "people", "ReferralIntake": "intake", "Mash": "mash",
                 "Enquiry": "enquiry", "Advocacy": "advocacy", "Views": "views"}

    def __init__(self, target: str, pb: types.SimpleNamespace, timeout: float = 10.0,
                 credentials: TrialCredentials = None):
        self.target = target
        self.pb = pb
        self.timeout = timeout
        self.credentials = credentials
        self._agency_stubs = {}  # agency -> (channel, stubs), with credentials
        self.channel = grpc.insecure_channel(target) if credentials is None else None
        stubs = self._stubs(self.channel) if self.channel is not None else None
        # The stubs callers name rpcs by (hub.intake.RaiseConcern); with credentials the call
        # itself goes over the calling agency's own channel.
        template = stubs or self._stubs(grpc.insecure_channel(target))
        for attr in self._SERVICES.values():
            setattr(self, attr, getattr(template, attr))
        self.versions = Versions()
        self.last_position = 0

    def _stubs(self, channel) -> types.SimpleNamespace:
        pb = self.pb
        return types.SimpleNamespace(
            people=pb.people_grpc.PeopleStub(channel),
            intake=pb.intake_grpc.ReferralIntakeStub(channel),
            mash=pb.mash_grpc.MashStub(channel),
            enquiry=pb.enquiry_grpc.EnquiryStub(channel),
            advocacy=pb.advocacy_grpc.AdvocacyStub(channel),
            views=pb.views_grpc.ViewsStub(channel))

    def _for_agency(self, agency: str) -> types.SimpleNamespace:
        if agency not in self._agency_stubs:
            channel = self.credentials.channel(self.target, agency)
            self._agency_stubs[agency] = (channel, self._stubs(channel))
        return self._agency_stubs[agency][1]

    def wait_ready(self, timeout: float = 10.0, agency: str = "asc-northshire") -> None:
        channel = self.channel
        if channel is None:
            self._for_agency(agency)
            channel = self._agency_stubs[agency][0]
        try:
            grpc.channel_ready_future(channel).result(timeout=timeout)
        except grpc.FutureTimeoutError:
            raise SystemExit(f"no hub answering on {self.target} within {timeout:.0f}s") from None

    def close(self) -> None:
        if self.channel is not None:
            self.channel.close()
        for channel, _ in self._agency_stubs.values():
            channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def track(self, key: str, result) -> None:
        """Records the version a CommandResult (or GetAdvocacyDuty's version) reports."""
        self.versions.observe(key, result if isinstance(result, int) else result.version)

    def command(self, rpc, request, who: Who, target: str = None, creates: bool = False,
                command_id: str = None):
        """Sends a command. Fills request.header: command_id (a new uuid4 unless given) and,
        unless `creates`, expected_version = the version last seen of `target`. Afterwards
        the response's result version is recorded for `target`."""
        header = request.header
        header.command_id = command_id or new_command_id()
        if creates:
            header.ClearField("expected_version")
        else:
            if target is None:
                raise ValueError("a command on an existing case names its target (its key)")
            version = self.versions.get(target)
            if version is None:
                raise ValueError(f"no version seen yet for {target}")
            header.expected_version = version
        response = self.send(rpc, request, who)
        # Read-your-writes: queries may pass this as header.min_position.
        self.last_position = max(self.last_position, response.result.global_position)
        if target is not None:
            self.track(target, response.result)
        return response

    def resend(self, rpc, request, who: Who):
        """Sends `request` again exactly as it was (same command id and expected version): a
        retry, which the hub answers with the original result (result.replayed)."""
        return self.send(rpc, request, who)

    def query(self, rpc, request, who: Who):
        return self.send(rpc, request, who)

    def send(self, rpc, request, who: Who):
        try:
            if self.credentials is None:
                return rpc(request, metadata=who.metadata(), timeout=self.timeout)
            # "/hub.api.v1.ReferralIntake/RaiseConcern" -> the agency's own stub's method
            service, method = _method_name(rpc, request).rsplit("/", 1)
            stub = getattr(self._for_agency(who.agency),
                           self._SERVICES[service.rsplit(".", 1)[-1]])
            return getattr(stub, method)(
                request, metadata=(("authorization", "Bearer " + self.credentials.token(who)),),
                timeout=self.timeout)
        except grpc.RpcError as err:
            raise HubError(_method_name(rpc, request), who, err) from None


def _method_name(rpc, request) -> str:
    name = getattr(rpc, "_method", None)
    if isinstance(name, bytes):
        name = name.decode()
    return name or type(request).__name__.replace("Request", "")


def expect_refusal(fn, code: grpc.StatusCode, *words: str) -> HubError:
    """Calls fn(), which must fail with `code` and a message containing every one of `words`
    (case-insensitive). Returns the error; raises AssertionError otherwise."""
    try:
        response = fn()
    except HubError as err:
        if err.code != code:
            raise AssertionError(f"expected {code.name}, got {err}") from None
        missing = [w for w in words if w.lower() not in err.message.lower()]
        if missing:
            raise AssertionError(
                f"{err.method}: refused with {code.name} as expected, but the message does not "
                f"mention {missing}: {err.message!r}") from None
        return err
    shown = " ".join(str(response).split())
    raise AssertionError(f"expected {code.name}, but the call succeeded: {shown}")
