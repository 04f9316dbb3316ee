"""`verify`, the auditor's check of the log, and `export log`, the bundle checked offline."""

from __future__ import annotations

import click

from ledger.i18n import _, ngettext, number

from .app import pass_state
from .case_cmds import items_count
from .export_cmds import export_group
from .output import emit, progress


@click.command("verify")
@click.option("--case", "case_no", metavar="CASE_NO", help="Report only on this case's items and events.")
@click.option("--expect-head", "expect_head", metavar="SEQ:HASH",
              help="Head from an earlier audit: proves the log still holds exactly that prefix.")
@click.option("--since", "since_file", metavar="CHECKPOINT_FILE",
              help="A checkpoint kept earlier ('evidence checkpoint'): proves the log only grew since.")
@click.option("--trust", "trusted", multiple=True, metavar="VERIFIER_KEY",
              help="A verifier key (NAME+ID+KEY) whose signature the --since checkpoint must carry; repeatable.")
@click.option("--new-only", "new_only", is_flag=True,
              help="With --since: check in full only the events after the checkpoint; the ones before are "
                   "re-hashed against its root, and the tables are not replayed (the whole verify does that).")
@pass_state
def verify_command(state, case_no, expect_head, since_file, trusted, new_only):
    """Check the whole log: hashes, links, projections and custody continuity.

    Every finding is listed with its event sequence number and item; exit 0 when clean,
    3 when anything is wrong. Keep the printed head for the next audit's --expect-head, or
    the signed checkpoint ('evidence checkpoint --sign') for --since.

    Example:

    \b
        evidence verify --expect-head 1234:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    """
    from ledger import verify
    from ledger.errors import InputError, VerificationFailed

    since, since_findings = None, []
    if trusted and not since_file:
        raise InputError(_("--trust names the keys that must have signed the --since checkpoint, but no --since "
                           "was given."), hint=_("Add --since CHECKPOINT_FILE, or drop --trust."))
    if new_only and (not since_file or case_no or expect_head):
        raise InputError(_("--new-only checks the events after a --since checkpoint, and only with it."),
                         hint=_("Add --since CHECKPOINT_FILE (without --case or --expect-head), or drop --new-only."))
    if since_file:
        from ledger.log import note

        signed, since = note.read_checkpoint_file(since_file)
        since_findings = verify.open_since(signed, list(trusted))

    def events() -> int:
        # Counted in a session of its own: the check's session must start with its own snapshot.
        with state.ledger().read() as session:
            return verify.head_seq(session)

    with progress(_("verifying"), events, show=not state.json) as tick, state.ledger().read() as session:
        if new_only:
            report = verify.verify_new(session, since=since, since_findings=since_findings, progress=tick)
        else:
            report = verify.verify_log(session, case_no=case_no, expect_head=expect_head, since=since,
                                       since_findings=since_findings, progress=tick)
    scope = (" " + _("(case {case_no}: {items})").format(case_no=report.case, items=items_count(report.items_checked))
             if report.case else "")
    if new_only:
        scope = " " + _("after the checkpoint's {n}, whose root the log still has").format(n=number(since.size))
    if report.ok:
        emit(state, report.as_dict(), [
            ngettext("verify: clean. {n} event checked{scope}.", "verify: clean. {n} events checked{scope}.",
                     report.events).format(n=number(report.events), scope=scope),
            _("head: {seq}:{hash}").format(seq=report.head_seq, hash=report.head_hash)])
        return
    emit(state, report.as_dict(), [f.render() for f in report.findings])
    hint = (_("The findings are in the JSON document on stdout; do not trust this ledger until they are explained.")
            if state.json else _("The findings are listed above; do not trust this ledger until they are explained."))
    raise VerificationFailed(_summary(report, scope), hint=hint)


def _summary(report, scope: str) -> str:
    """One sentence: the first bad event comes only from findings about the log itself; a
    table that differs from the log is reported as such."""
    log, tables = len(report.log_findings), len(report.table_findings)
    in_tables = ngettext("{n} problem in the tables that show the current state (they differ from the log)",
                         "{n} problems in the tables that show the current state (they differ from the log)",
                         tables).format(n=number(tables))
    if not log:
        return _("verify found {in_tables}{scope}; the log itself is intact.").format(in_tables=in_tables,
                                                                                       scope=scope)
    text = ngettext("verify found {n} problem in the log{scope}", "verify found {n} problems in the log{scope}",
                    log).format(n=number(log), scope=scope)
    if report.first_bad_seq is not None:
        text += _("; the first bad event is seq {seq}").format(seq=report.first_bad_seq)
    return text + (_(", and {in_tables}.").format(in_tables=in_tables) if tables else ".")


@export_group.command("log")
@click.option("--out", "out", required=True, metavar="DIR", help="Folder to write the bundle into (new or empty).")
@click.option("--case", "case_no", metavar="CASE_NO",
              help="Disclose only this case's events and the ledger-wide ones, each with an inclusion proof.")
@click.option("--force", is_flag=True,
              help="Replace a folder that holds an earlier bundle and nothing else (never any other folder).")
@click.option("--sign", "sign", metavar="KEYFILE", help="Sign the bundle's checkpoint with this key file.")
@pass_state
def export_log(state, out, case_no, force, sign):
    """Write a bundle an auditor verifies offline with the standard library alone.

    The folder holds manifest.json, checkpoint, events.jsonl, SHA256SUMS, README.txt,
    verify.py and (full bundles) HEAD; check it with 'python3 verify.py DIR'. With --case,
    nothing of any other case is in it. The passphrase of --sign is asked, or read from
    EVIDENCE_KEY_PASSPHRASE.

    Example:

    \b
        evidence export log --case AQP-2020-0147 --out audit-2020-0147
    """
    from ledger import bundle

    key = _signing_key(sign) if sign else None
    with state.ledger().read() as session:
        done = bundle.export_log(session, out, case_no=case_no, force=force, sign=key)
    emit(state, {"id": done["path"], **done}, [done["path"], _bundle_line(done)])


def _signing_key(path: str):
    from .passphrases import open_key_file

    return open_key_file(path)  # a wrong file is refused before the passphrase is asked


def _bundle_line(done: dict) -> str:
    # The English says "events" for one event too.
    text = ngettext("{events} events of a log of {size}, root {root}", "{events} events of a log of {size}, root {root}",
                    done["events"]).format(events=done["events"], size=done["tree_size"], root=done["root"])
    return text + (_(", head {head}").format(head=done["head"]) if done["head"] else "")
