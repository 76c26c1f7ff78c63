"""The `donations` command line (also `python -m donations`)."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from donations import migrate
from donations.config import Settings, get_settings
from donations.db import Database


@contextmanager
def _database(settings: Settings) -> Iterator[Database]:
    """The database, created or migrated as needed, and closed when the command ends."""
    database = Database(settings)
    try:
        migrate.upgrade(database.engine)
        yield database
    finally:
        database.dispose()


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    with _database(settings) as database:
        print(f"database at revision {migrate.current_revision(database.engine)}")
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from donations import demo

    if settings.environment == "production":
        print(
            "error: the demo data (with its published passwords) is not loaded in production",
            file=sys.stderr,
        )
        return 2
    with _database(settings) as database:
        loaded = demo.load(database)
    if loaded:
        print("Loaded the demo programme: Korea Post's 200 green computers for nine Pacific posts.")
    else:
        print("The database already has data; the demo data set was not loaded.")
    _print_demo_users(demo.credentials())
    return 0


def _print_demo_users(rows: Sequence[tuple[str, str, str, str | None]]) -> None:
    print("\nDemo users (username / password / role / organisation):")
    for username, password, role, org in rows:
        print(f"  {username:<14} {password:<20} {role:<12} {org or '-'}")
    print()


def cmd_create_user(args: argparse.Namespace, settings: Settings) -> int:
    from pydantic import ValidationError

    from donations.errors import DomainError
    from donations.events.service import Actor
    from donations.users import service as user_service
    from donations.users.schemas import UserCreate

    password = args.password
    if password is None:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Repeat password: "):
            print("error: the passwords differ", file=sys.stderr)
            return 2
    try:
        user_in = UserCreate(
            username=args.username,
            password=password,
            role=args.role,
            organisation=args.organisation,
            display_name=args.display_name,
            language=args.language,
        )
        with _database(settings) as database, database.session() as session:
            user = user_service.create(session, user_in=user_in, actor=Actor(None, source="cli"))
            session.commit()
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"])
            print(f"error: {where}: {error['msg'].removeprefix('Value error, ')}", file=sys.stderr)
        return 2
    except DomainError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    print(
        f"created {user.role} {user.username}" + (f" of {user.org_code}" if user.org_code else "")
    )
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    if args.demo and settings.environment == "production":
        print("error: --demo (published passwords) is refused in production", file=sys.stderr)
        return 2
    with _database(settings) as database:
        if args.demo:
            from donations import demo

            if demo.load(database):
                print("Loaded the demo programme.")
            _print_demo_users(demo.credentials())
    print(f"Serving on http://{args.host}:{args.port}  (API docs: /docs)")
    uvicorn.run(
        "donations.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        log_level="info",
    )
    return 0


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from donations.backup import BackupError, backup

    try:
        print(backup(settings, Path(args.path)))
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from donations.backup import BackupError, restore

    try:
        print(restore(settings, Path(args.path)))
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_verify_events(args: argparse.Namespace, settings: Settings) -> int:
    from donations.events import chain

    with _database(settings) as database, database.session(write=False) as session:
        checked, broken, head = chain.verify(session)
    if broken is not None:
        print(f"BROKEN at event {broken.event_id}: {broken.reason}.")
        print(f"{checked} events before it are intact.")
        return 1
    print(f"{checked} events verified; the chain is intact.")
    print(f"head: {head}")
    print("Keep the head somewhere else (a report, an email): a later rewrite of the record")
    print("could recompute the chain, but not make it end in a head you already hold.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="donations",
        description="Follow in-kind equipment donations from pledge to deployment.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve", help="start the web app (creates or migrates the database)"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="app processes (PostgreSQL)")
    serve.add_argument(
        "--demo", action="store_true", help="load the demo data into an empty database"
    )
    serve.set_defaults(handler=cmd_serve)

    demo = commands.add_parser("demo", help="load the demo data set into an empty database")
    demo.set_defaults(handler=cmd_demo)

    create_user = commands.add_parser("create-user", help="create a user")
    create_user.add_argument("username")
    create_user.add_argument("--role", required=True, choices=["coordinator", "donor", "recipient"])
    create_user.add_argument("--organisation", help="organisation code (donors and recipients)")
    create_user.add_argument("--password", help="prompted for when not given")
    create_user.add_argument("--display-name")
    create_user.add_argument("--language", default="en", choices=["en", "fr"])
    create_user.set_defaults(handler=cmd_create_user)

    backup = commands.add_parser("backup", help="write a consistent copy of the database")
    backup.add_argument("path", help="the backup file to create")
    backup.set_defaults(handler=cmd_backup)

    restore = commands.add_parser("restore", help="replace the SQLite database with a backup")
    restore.add_argument("path", help="a file written by `donations backup`")
    restore.set_defaults(handler=cmd_restore)

    verify = commands.add_parser(
        "verify-events", help="check the event hash chain and name the first broken link"
    )
    verify.set_defaults(handler=cmd_verify_events)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_commands.add_parser("upgrade", help="create or upgrade the schema")
    upgrade.set_defaults(handler=cmd_db_upgrade)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
    except ValueError as exc:
        print(f"error: invalid settings: {exc}", file=sys.stderr)
        return 2
    code: int = args.handler(args, settings)
    return code


if __name__ == "__main__":
    sys.exit(main())
