"""Fail when the changelog is stale: a fragment that no release lists, or a CHANGELOG.md that differs from what
antsibull-changelog generates. `make changelog` brings both up to date."""

import pathlib
import subprocess
import sys
import tempfile

import yaml

REPO = pathlib.Path(__file__).resolve().parent.parent


def main():
    changelog = yaml.safe_load((REPO / "changelogs" / "changelog.yaml").read_text(encoding="utf-8"))
    listed = set(name for release in (changelog.get("releases") or {}).values() for name in release.get("fragments", []))
    fragments = set(path.name for path in (REPO / "changelogs" / "fragments").glob("*.yml"))
    problems = ["changelogs/fragments/%s is in no release: run make changelog" % name for name in sorted(fragments - listed)]
    with tempfile.TemporaryDirectory() as directory:
        generated = pathlib.Path(directory) / "CHANGELOG.md"
        subprocess.run([str(pathlib.Path(sys.executable).parent / "antsibull-changelog"), "generate", "--output", str(generated)],
                       cwd=str(REPO), check=True)
        if generated.read_text(encoding="utf-8") != (REPO / "CHANGELOG.md").read_text(encoding="utf-8"):
            problems.append("CHANGELOG.md is not what antsibull-changelog generates: run make changelog")
    for problem in problems:
        print(problem)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
