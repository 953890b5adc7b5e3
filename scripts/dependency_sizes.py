"""Print what each image target installs: its requirement set, and with --measure its size.

The targets are the Dockerfile's (`docker build --target ...`):

    api      [project] dependencies: the API with the bot, the migrations, the processor's AWS
             path. What the host on AWS runs (cd.yml pushes it).
    worker   api + the `ocr` extra (RapidOCR, OpenVINO, OpenCV): compose's local worker on the
             embedded default.

Each set is read from pyproject.toml (extras that name `receiptsnap[...]` are followed) and pinned
by requirements.lock. With --measure, each target is installed as the Dockerfile does it: a venv
without pip, filled by this interpreter's pip (`pip --python`), the worker's extra layer installed
over the api's venv with --prefix (the Dockerfile's deps-worker stage), and `du -sk` is printed per
target and layer, with the largest distributions. No Docker engine is needed; the figures are those
of the venv that the image copies (the slim base image, ~120 MB, comes on top).

    python scripts/dependency_sizes.py                    # requirement sets
    python scripts/dependency_sizes.py --measure          # + sizes (downloads from PyPI)
    python scripts/dependency_sizes.py --measure --target api
"""

from __future__ import annotations

import argparse
import importlib.metadata
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROJECT = "receiptsnap"
# target -> its layers, in the Dockerfile's order; a layer is a tuple of extras ("" = the base).
TARGETS: dict[str, tuple[tuple[str, ...], ...]] = {
    "api": (("",),),
    "worker": (("",), ("ocr",)),
}


def requirement_name(requirement: str) -> str:
    return re.split(r"[\s\[=<>!~;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def requirements(
    extras: tuple[str, ...], *, pyproject: Path = REPO / "pyproject.toml"
) -> list[str]:
    """The direct requirements of the base ("") and/or the extras, self-references followed."""
    project = tomllib.loads(pyproject.read_text())["project"]
    optional: dict[str, list[str]] = project.get("optional-dependencies", {})
    out: list[str] = []
    seen: set[str] = set()

    def add(extra: str) -> None:
        if extra in seen:
            return
        seen.add(extra)
        for req in project["dependencies"] if extra == "" else optional[extra]:
            if requirement_name(req) == PROJECT:
                inner = re.search(r"\[([^\]]*)\]", req)
                for name in inner.group(1).split(",") if inner else []:
                    add(name.strip())
            elif req not in out:
                out.append(req)

    for extra in extras:
        add(extra)
    return out


def target_requirements(target: str) -> list[str]:
    return requirements(tuple(extra for layer in TARGETS[target] for extra in layer))


def _du_kb(*paths: Path) -> int:
    existing = [str(p) for p in paths if p.exists()]
    if not existing:
        return 0
    du = shutil.which("du") or "du"
    out = subprocess.run(  # noqa: S603 - fixed argv
        [du, "-skc", *existing], capture_output=True, text=True, check=True
    ).stdout
    return int(out.strip().splitlines()[-1].split()[0])


def _by_distribution(site_packages: Path) -> dict[str, int]:
    """Bytes per installed distribution, from its RECORD (its .libs and scripts included)."""
    sizes: dict[str, int] = {}
    for dist in importlib.metadata.distributions(path=[str(site_packages)]):
        files = (site_packages / str(f) for f in dist.files or [])
        sizes[dist.metadata["Name"]] = sum(f.stat().st_size for f in files if f.is_file())
    return sizes


def _pip_install(venv: Path, reqs: list[str], *, prefix: Path | None = None) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write("\n".join(reqs) + "\n")
    cmd = [sys.executable, "-m", "pip", "--python", str(venv), "install", "--quiet"]
    cmd += ["--disable-pip-version-check", "-c", str(REPO / "requirements.lock"), "-r", fh.name]
    if prefix is not None:
        cmd += ["--prefix", str(prefix)]
    subprocess.run(cmd, check=True)  # noqa: S603 - fixed argv
    Path(fh.name).unlink()


def measure(targets: list[str], workdir: Path) -> None:
    pyver = "python{}.{}".format(*sys.version_info[:2])
    venv = workdir / "venv"
    subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True
    )
    layers_done: list[tuple[str, ...]] = []
    layer_dirs: dict[tuple[str, ...], Path] = {}
    for target in targets:
        for layer in TARGETS[target]:
            if layer in layers_done:
                continue
            if not layers_done:  # the base: into the venv itself (the deps stage)
                _pip_install(venv, requirements(layer))
                layer_dirs[layer] = venv
            else:  # over the venv, into its own prefix (the deps-worker stage)
                below = requirements(tuple(e for done in layers_done for e in done))
                extra = [r for r in requirements(layer) if r not in below]
                layer_dirs[layer] = workdir / ("layer-" + "-".join(layer))
                _pip_install(venv, extra, prefix=layer_dirs[layer])
            layers_done.append(layer)
        total = sum(_du_kb(layer_dirs[layer]) for layer in TARGETS[target])
        print(f"{target}: {total / 1024:.0f} MB installed dependencies (du -sk)")
        for layer in TARGETS[target]:
            site = layer_dirs[layer] / "lib" / pyver / "site-packages"
            label = "base" if layer == ("",) else "+".join(layer)
            print(f"  layer {label}: {_du_kb(layer_dirs[layer]) / 1024:.0f} MB")
            for name, size in sorted(_by_distribution(site).items(), key=lambda kv: -kv[1])[:8]:
                print(f"    {size / 1e6:7.1f} MB  {name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", action="append", choices=list(TARGETS), help="repeatable")
    parser.add_argument("--measure", action="store_true", help="install into a temp venv, du")
    parser.add_argument("--keep", type=Path, help="measure in this directory and leave it there")
    args = parser.parse_args(argv)
    targets = args.target or list(TARGETS)
    for target in targets:
        print(f"{target}: " + " ".join(sorted(target_requirements(target), key=str.lower)))
    if args.measure:
        if args.keep:
            shutil.rmtree(args.keep, ignore_errors=True)
            args.keep.mkdir(parents=True)
            measure(targets, args.keep.resolve())
        else:
            with tempfile.TemporaryDirectory(prefix="receiptsnap-deps-") as tmp:
                measure(targets, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
