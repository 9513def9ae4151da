"""`antrean users ...` and `antrean devices ...`: manage who signs in and which screens pair."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable

from server import config
from server.accounts import DEVICE_KINDS, ROLES, AccountBook, AccountError
from server.domain.venue import Venue
from server.settings import Settings
from server.store import open_log

# The page each kind of device opens once with its token (a display: its zone's).
DEVICE_PAGES = {"kiosk": "/kiosk", "survey": "/survey"}

Action = Callable[[AccountBook, Venue, argparse.Namespace], Awaitable[None]]


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    users = commands.add_parser("users", help="add, list or disable officers and managers")
    user_actions = users.add_subparsers(required=True, metavar="ACTION")
    add = _action(user_actions, "add", "add a user (asks for the password)", _add_user)
    add.add_argument("username")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--name", default="", help="full name shown in consoles and reports")
    add.add_argument("--tenant", help="tenant id (officers and supervisors)")
    add.add_argument("--counters", default="", help="comma-separated counters an officer may use")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    _action(user_actions, "list", "list users", _list_users)
    disable = _action(user_actions, "disable", "stop a user from signing in", _disable_user)
    disable.add_argument("username")
    sign_out = _action(
        user_actions, "sign-out", "end every session of a user, on every process", _sign_out
    )
    sign_out.add_argument("username")
    pin = _action(user_actions, "pin", "set the 6-digit kiosk PIN (priority tickets)", _set_pin)
    pin.add_argument("username")
    pin.add_argument("--pin", default=None, help="the PIN, for scripts (else asked twice)")

    devices = commands.add_parser(
        "devices", help="pair or revoke hall displays, kiosks and survey tablets"
    )
    device_actions = devices.add_subparsers(required=True, metavar="ACTION")
    pair = _action(device_actions, "add", "pair a new screen; prints its address", _add_device)
    pair.add_argument("--zone", required=True)
    pair.add_argument("--kind", choices=DEVICE_KINDS, default="display")
    pair.add_argument("--name", default="")
    pair.add_argument("--base-url", default="http://localhost:8000")
    pair.add_argument("--printer", default="", help="a kiosk's network printer, host:port")
    _action(device_actions, "list", "list paired screens", _list_devices)
    revoke = _action(device_actions, "revoke", "unpair a screen", _revoke_device)
    revoke.add_argument("device")
    printer = _action(
        device_actions, "printer", 'set a kiosk\'s network printer ("" for none)', _set_printer
    )
    printer.add_argument("device")
    printer.add_argument("address", help='host:port of the ESC/POS printer, or "" for none')


def _action(
    actions: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help: str, run: Action
) -> argparse.ArgumentParser:
    parser = actions.add_parser(name, help=help)
    Settings.add_arguments(parser)
    parser.set_defaults(handler=lambda args: _run(run, args))
    return parser


def _run(action: Action, args: argparse.Namespace) -> int:
    settings = Settings.from_env().with_arguments(args.venue, args.data, args.redis)
    try:
        venue = config.load_venue(settings.venue_file)
        asyncio.run(_with_book(action, venue, settings.log_url, args))
    except (config.ConfigError, AccountError) as error:
        print(f"antrean: {error}", file=sys.stderr)
        return 1
    return 0


async def _with_book(action: Action, venue: Venue, url: str, args: argparse.Namespace) -> None:
    log = open_log(url)
    try:
        book = AccountBook(venue.id, log)
        await book.refresh()
        await action(book, venue, args)
    finally:
        await log.close()


async def _add_user(book: AccountBook, venue: Venue, args: argparse.Namespace) -> None:
    counters = tuple(c for c in args.counters.split(",") if c)
    if args.tenant and args.tenant not in venue.tenants:
        raise AccountError(f"unknown tenant {args.tenant!r}; known: {', '.join(venue.tenants)}")
    for counter in counters:
        if counter not in venue.counters or venue.counters[counter].tenant != args.tenant:
            raise AccountError(f"counter {counter!r} is not a counter of tenant {args.tenant!r}")
    password = _password(args.password_stdin)
    user = await book.add_user(args.username, args.name, args.role, password, args.tenant, counters)
    print(f"added {user.username} ({user.role}{', ' + user.tenant if user.tenant else ''})")


async def _set_pin(book: AccountBook, venue: Venue, args: argparse.Namespace) -> None:
    pin = args.pin
    if pin is None:
        pin = getpass.getpass("PIN (6 digits): ")
        if pin != getpass.getpass("again: "):
            raise AccountError("the two PINs differ")
    await book.set_pin(args.username.strip().lower(), pin.strip())
    print(f"PIN set for {args.username}")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise AccountError("the two passwords differ")
    return first


async def _list_users(book: AccountBook, venue: Venue, args: argparse.Namespace) -> None:
    if not book.accounts.users:
        print("no users yet: add one with `antrean users add USERNAME --role ...`")
    for user in sorted(book.accounts.users.values(), key=lambda u: u.username):
        state = "active" if user.active else "disabled"
        where = f"{user.tenant or '-'} {','.join(user.counters) or '-'}"
        print(f"{user.username:<16} {user.role:<10} {where:<24} {state:<8} {user.name}")


async def _disable_user(book: AccountBook, venue: Venue, args: argparse.Namespace) -> None:
    await book.disable_user(args.username)
    print(f"disabled {args.username}")


async def _sign_out(book: AccountBook, venue: Venue, args: argparse.Namespace) -> None:
    username = args.username.strip().lower()
    await book.end_sessions(username)
    print(f"signed out {username} everywhere: they must sign in again")


async def _add_device(book: AccountBook, venue: Venue, args: argparse.Namespace) -> None:
    if args.zone not in venue.zones:
        raise AccountError(f"unknown zone {args.zone!r}; known: {', '.join(venue.zones)}")
    name = args.name or f"{args.kind} {venue.zones[args.zone].name}"
    device, token = await book.add_device(args.kind, args.zone, name, printer=args.printer)
    print(f"paired {device.id} ({name}). Open this address once on the screen:")
    path = DEVICE_PAGES.get(args.kind, f"/display/{args.zone}")
    print(f"  {args.base_url.rstrip('/')}{path}?device={token}")


async def _list_devices(book: AccountBook, venue: Venue, args: argparse.Namespace) -> None:
    if not book.accounts.devices:
        print("no paired screens yet: pair one with `antrean devices add --zone ZONE`")
    for device in sorted(book.accounts.devices.values(), key=lambda d: d.id):
        state = "active" if device.active else "revoked"
        printer = f" (printer {device.printer})" if device.printer else ""
        print(
            f"{device.id:<20} {device.kind:<8} {device.zone:<16} {state:<8} {device.name}{printer}"
        )


async def _set_printer(book: AccountBook, venue: Venue, args: argparse.Namespace) -> None:
    await book.set_printer(args.device, args.address.strip())
    print(
        f"{args.device}: " + (f"prints to {args.address}" if args.address else "prints by browser")
    )


async def _revoke_device(book: AccountBook, venue: Venue, args: argparse.Namespace) -> None:
    await book.revoke_device(args.device)
    print(f"revoked {args.device}")
