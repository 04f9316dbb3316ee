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
@click.option("--save-state", "save_state", metavar="FILE",
              help="Save the rulebook's state at the head, bound to its checkpoint, for the next --new-only check.")
@click.option("--state", "state_file", metavar="FILE",
              help="With --new-only: the state saved (--save-state) when the --since checkpoint was verified; "
                   "without it the log is replayed up to the checkpoint.")
@click.option("--proof", "proof_file", metavar="FILE",
              help="With --since: check this consistency proof ('evidence checkpoint prove') from the checkpoint to "
                   "the log's current checkpoint, from the two roots alone; no event is read.")
@pass_state
def verify_command(state, case_no, expect_head, since_file, trusted, new_only, save_state, state_file, proof_file):
    """Check the whole log: hashes, links, projections and custody continuity.

    Every finding is listed with its event sequence number and item; exit 0 when clean,
    3 when anything is wrong. Keep the printed head for the next audit's --expect-head, or
    the signed checkpoint ('evidence checkpoint --sign') for --since.

    Example:

    \b
        evidence verify --expect-head 1234:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
        evidence verify --save-state state.json && evidence checkpoint --out kept.txt
        evidence verify --since kept.txt --new-only --state state.json
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
    if state_file and not new_only:
        raise InputError(_("--state is the saved state a --new-only check starts from, and only for it."),
                         hint=_("Add --since CHECKPOINT_FILE --new-only, or drop --state."))
    if save_state and (new_only or case_no):
        raise InputError(_("--save-state saves the state of the whole log, which only the whole verify replays."),
                         hint=_("Drop --new-only and --case, or drop --save-state."))
    if proof_file and (not since_file or case_no or expect_head or new_only):
        raise InputError(_("--proof checks a consistency proof from a --since checkpoint, and only with it."),
                         hint=_("Add --since CHECKPOINT_FILE (without --case, --expect-head or --new-only), or drop "
                                "--proof."))
    if since_file:
        from ledger.log import note

        signed, since = note.read_checkpoint_file(since_file)
        since_findings = verify.open_since(signed, list(trusted))
    if proof_file:
        return _verify_proof(state, since, since_findings, proof_file)

    def events() -> int:
        # Counted in a session of its own: the check's session must start with its own snapshot.
        with state.ledger().read() as session:
            return verify.head_seq(session)

    with progress(_("verifying"), events, show=not state.json) as tick, state.ledger().read() as session:
        if new_only:
            report = verify.verify_new(session, since=since, since_findings=since_findings, progress=tick,
                                       state_file=state_file)
        else:
            report = verify.verify_log(session, case_no=case_no, expect_head=expect_head, since=since,
                                       since_findings=since_findings, progress=tick)
    scope = (" " + _("(case {case_no}: {items})").format(case_no=report.case, items=items_count(report.items_checked))
             if report.case else "")
    if new_only:
        scope = " " + _("after the checkpoint's {n}, whose root the log still has").format(n=number(since.size))
    if report.ok and save_state:
        verify.save_state(report, report.state, save_state)
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


def _verify_proof(state, since, since_findings: list, proof_file: str) -> None:
    """`verify --since OLD --proof FILE`: the proof checked against OLD's root and the log's
    current root; the log's events are not read (the whole verify does that)."""
    from ledger.errors import VerificationFailed
    from ledger.log.checkpoints import proof_to_current
    from ledger.log.consistency import read_proof_file

    proof = read_proof_file(proof_file)
    with state.ledger().read() as session:
        current, findings = proof_to_current(session, since, proof)
    findings = since_findings + findings
    data = {"ok": not findings, "findings": [f.as_dict() for f in findings], "since_size": since.size,
            "since_root": since.root.hex(), "size": current.size, "root": current.root.hex(),
            "checkpoint": current.to_text()}
    if not findings:
        emit(state, data, [_("verify: the log of {size} events extends the checkpoint of {old}: the consistency proof "
                             "leads from its root to the log's current root.").format(size=number(current.size),
                                                                                       old=number(since.size)),
                           _("root: {root}").format(root=current.root.hex())])
        return
    emit(state, data, [f.render() for f in findings])
    raise VerificationFailed(ngettext("verify --proof found {n} problem: do not take the log to extend that "
                                      "checkpoint.", "verify --proof found {n} problems: do not take the log to extend "
                                      "that checkpoint.", len(findings)).format(n=number(len(findings))),
                             hint=_("Keep the checkpoint and the proof: they are the evidence."))


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
@click.option("--from", "from_file", metavar="OLD_CHECKPOINT",
              help="Add a consistency proof from this checkpoint (one the court holds) to the bundle's.")
@pass_state
def export_log(state, out, case_no, force, sign, from_file):
    """Write a bundle an auditor verifies offline with the standard library alone.

    The folder holds manifest.json, checkpoint, events.jsonl, SHA256SUMS, README.txt,
    verify.py and (full bundles) HEAD; check it with 'python3 verify.py DIR'. With --case,
    nothing of any other case is in it, and it proves that it holds every event of the case:
    the ledger first appends a case index (unless the log already ends with one), which the
    bundle's checkpoint ends at. The passphrase of --sign is asked, or read from
    EVIDENCE_KEY_PASSPHRASE.

    Example:

    \b
        evidence export log --case AQP-2020-0147 --out audit-2020-0147
    """
    from ledger import bundle

    key = _signing_key(sign) if sign else None
    ledger, index = state.ledger(), None
    if case_no is not None:
        case_no, index = bundle.index_for_case(ledger, case_no, out, force, from_file)
    with ledger.read() as session:
        done = bundle.export_log(session, out, case_no=case_no, force=force, sign=key, from_file=from_file,
                                 index=index)
    emit(state, {"id": done["path"], **done}, [done["path"], _bundle_line(done)])


def _signing_key(path: str):
    from .passphrases import open_key_file

    return open_key_file(path)  # a wrong file is refused before the passphrase is asked


def _bundle_line(done: dict) -> str:
    # The English says "events" for one event too.
    text = ngettext("{events} events of a log of {size}, root {root}", "{events} events of a log of {size}, root {root}",
                    done["events"]).format(events=done["events"], size=done["tree_size"], root=done["root"])
    return text + (_(", head {head}").format(head=done["head"]) if done["head"] else "")
