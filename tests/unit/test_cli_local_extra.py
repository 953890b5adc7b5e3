"""The dev stack stays out of the product: the production commands load neither devstack nor moto,
and `receiptsnap local` / `demo` without the `local` extra say what to install, not a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from receiptsnap.cli import LOCAL_EXTRA_HINT, main

# Everything `api`, `worker`, `db upgrade`, `admin token`, `aws-local provision` and
# `telegram set-webhook` import (the modules their commands import lazily).
PRODUCTION_IMPORTS = """
import sys
import receiptsnap.cli, api.app, api.container, bot.webhook, core.db.session, core.aws.local
import core.admin.tokens, processor.bootstrap, processor.handler, processor.worker
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"devstack", "moto"})
print(",".join(loaded))
"""


def test_production_commands_import_neither_devstack_nor_moto() -> None:
    result = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", PRODUCTION_IMPORTS],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert result.stdout.strip() == ""


@pytest.mark.parametrize("missing", ["moto", "devstack"])
@pytest.mark.parametrize("argv", [["local"], ["demo"]])
def test_dev_stack_commands_without_the_local_extra_say_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    missing: str,
    argv: list[str],
) -> None:
    # GIVEN an install without it: None in sys.modules makes `import moto` (or devstack) fail
    for name in [m for m in sys.modules if m.split(".")[0] in ("devstack", missing)]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, missing, None)

    code = main(argv)

    err = capsys.readouterr().err
    assert code == 2
    assert LOCAL_EXTRA_HINT in err and f"({missing}" in err
    assert "Traceback" not in err


def test_other_import_errors_are_not_mistaken_for_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in [m for m in sys.modules if m.split(".")[0] in ("devstack", "uvicorn")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "uvicorn", None)

    with pytest.raises(ModuleNotFoundError, match="uvicorn"):
        main(["local"])
