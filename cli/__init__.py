"""The `evidence` command line, installed as `ledger.cli`: parse, call the ledger, render."""

from .app import main
from .case_cmds import case_group, seizure_group
from .custody_cmds import custody_group  # also adds `item history`
from .demo_cmd import demo
from .document_cmds import export_custody_form, label_command
from .export_cmds import export_group
from .import_cmds import item_import
from .item_cmds import cash_group, document_group, item_group, phone_group, vehicle_group
from .key_cmds import checkpoint_group, key_group
from .operations_cmds import audit_group, due_command, export_audit, export_journal  # + custody deposit...
from .prove_cmds import prove_command
from .rate_cmds import convert_command, rate_group  # also adds `case totals`
from .setup_cmds import db_group, init_command, location_group, officer_group
from .verify_cmds import verify_command  # also adds `export log`
from .witness_cmds import witness_group
from .xlsx_cmds import export_xlsx

for _command in (db_group, officer_group, location_group, case_group, seizure_group, cash_group,
                 vehicle_group, phone_group, document_group, item_group, export_group):
    main.add_command(_command)
main.add_command(rate_group)
main.add_command(convert_command)
main.add_command(custody_group)
main.add_command(verify_command)
item_group.add_command(item_import)
export_group.add_command(export_xlsx)
export_group.add_command(export_custody_form)
main.add_command(label_command)
main.add_command(demo)
main.add_command(init_command)
main.add_command(key_group)
main.add_command(checkpoint_group)
main.add_command(prove_command)
main.add_command(witness_group)
main.add_command(audit_group)
main.add_command(due_command)
export_group.add_command(export_journal)
export_group.add_command(export_audit)

__all__ = ["main"]
