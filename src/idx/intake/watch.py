"""A folder a scanner drops its files into: each settled file becomes a batch of scans.

A network scanner or a multifunction printer at the counter saves a PDF into a shared folder. The
watcher takes every file that has stopped growing, receives it exactly as an upload from the
intake page is received (same size cap, content sniffing, hash and audit, in the name of the clerk
who answers for the scanner), and moves it out of the way:

- ``done/<date>/``: received; the batch's id is written beside it (``<name>.batch``);
- ``refused/``: not a scan the intake reads, too large, or the same file as a batch already
  received; the reason is written beside it (``<name>.reason``) for whoever empties the folder.

Files are claimed by renaming them into ``.taking/`` first, so two watchers on one folder never
receive the same file. Hidden files and files still being written (changed within the settle time)
are left for the next look.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.core.files import File
from django.utils import timezone

from idx.common.errors import DomainError
from idx.common.models import Municipality
from idx.identity.models import User
from idx.identity.policy import Action, can
from idx.intake.models import ScanBatch
from idx.intake.services import scan_batch_receive

logger = logging.getLogger(__name__)

TAKING = ".taking"
DONE = "done"
REFUSED = "refused"
# A file untouched this long is taken as complete (scanners write a PDF in several passes).
SETTLE_SECONDS = 5.0
# A file left in .taking/ this long belongs to a watcher that stopped mid-way: it is looked at again.
ABANDONED_SECONDS = 600.0


class WatcherMisconfigured(Exception):
    """The folder or the clerk named for the scanner cannot be used."""


@dataclass(frozen=True)
class Outcome:
    name: str
    batch: str = ""  # the batch's public id when received
    refusal: str = ""  # a reason code when refused

    @property
    def received(self) -> bool:
        return bool(self.batch)


def scanner_clerk(*, municipality: Municipality, email: str) -> User:
    """The staff member in whose name the folder's scans are received (and audited)."""
    staff = User.objects.filter(municipality=municipality, email__iexact=email).first()
    if staff is None or not staff.is_staff_member or not staff.is_active or not can(staff, Action.WORK_CASE):
        raise WatcherMisconfigured(f"{email} is not an active clerk of {municipality.code} who works cases")
    return staff


def settled_files(
    folder: Path, *, settle_seconds: float = SETTLE_SECONDS, now: float | None = None
) -> Iterator[Path]:
    """Regular, visible files of ``folder`` that have not changed for ``settle_seconds``, oldest first."""
    moment = time.time() if now is None else now
    entries = []
    with os.scandir(folder) as scan:
        for entry in scan:
            if entry.name.startswith(".") or not entry.is_file(follow_symlinks=False):
                continue
            modified = entry.stat(follow_symlinks=False).st_mtime
            if moment - modified >= settle_seconds:
                entries.append((modified, entry.name))
    for _modified, name in sorted(entries):
        yield folder / name


def _claim(path: Path) -> Path | None:
    """Move the file into the folder's ``.taking/``; None when another watcher took it first."""
    taking = path.parent / TAKING
    taking.mkdir(exist_ok=True)
    claimed = taking / path.name
    try:
        path.rename(claimed)  # atomic on one file system: exactly one watcher wins
    except FileNotFoundError:
        return None
    return claimed


def _take_back_abandoned(folder: Path, abandoned_seconds: float) -> None:
    """Files a stopped watcher had claimed go back into the folder (a file it had already received
    is then refused as a duplicate, so nothing is received twice)."""
    taking = folder / TAKING
    if not taking.is_dir():
        return
    moment = time.time()
    for path in taking.iterdir():
        # A rename changes the inode's ctime, not its mtime: ctime says when it was claimed.
        if path.is_file() and moment - path.stat().st_ctime >= abandoned_seconds:
            path.rename(_free_name(folder, path.name))


def _free_name(folder: Path, name: str) -> Path:
    """``folder/name``, or ``name`` with a counter when a file of that name is already there."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    stem, suffix, number = target.stem, target.suffix, 1
    while target.exists():
        number += 1
        target = folder / f"{stem}-{number}{suffix}"
    return target


def _set_aside(claimed: Path, folder: Path, note_suffix: str, note: str) -> None:
    target = _free_name(folder, claimed.name)
    claimed.rename(target)
    target.with_name(target.name + note_suffix).write_text(note + "\n", encoding="utf-8")


def watch_once(
    *,
    folder: Path,
    municipality: Municipality,
    staff: User,
    settle_seconds: float = SETTLE_SECONDS,
    abandoned_seconds: float = ABANDONED_SECONDS,
    today: dt.date | None = None,
) -> list[Outcome]:
    """Receive every settled file of ``folder`` once; what each file became, in the order taken."""
    if not folder.is_dir():
        raise WatcherMisconfigured(f"{folder} is not a folder")
    day = (today or timezone.localdate()).isoformat()
    _take_back_abandoned(folder, abandoned_seconds)
    outcomes: list[Outcome] = []
    for path in settled_files(folder, settle_seconds=settle_seconds):
        claimed = _claim(path)
        if claimed is None:
            continue
        outcomes.append(_receive(claimed, folder=folder, municipality=municipality, staff=staff, day=day))
    return outcomes


def _receive(claimed: Path, *, folder: Path, municipality: Municipality, staff: User, day: str) -> Outcome:
    digest = hashlib.sha256()
    with claimed.open("rb") as data:
        for chunk in iter(lambda: data.read(1 << 20), b""):
            digest.update(chunk)
    earlier = ScanBatch.objects.filter(municipality=municipality, sha256=digest.hexdigest()).first()
    if earlier is not None:
        _set_aside(
            claimed, folder / REFUSED, ".reason", f"duplicate: the same file as batch {earlier.public_id}"
        )
        return Outcome(name=claimed.name, refusal="duplicate")
    try:
        with claimed.open("rb") as data:
            upload = File(data, name=claimed.name)
            batch = scan_batch_receive(municipality=municipality, staff=staff, upload=upload)  # type: ignore[arg-type]
    except DomainError as error:
        _set_aside(claimed, folder / REFUSED, ".reason", f"{error.code}: {error.message}")
        return Outcome(name=claimed.name, refusal=error.code)
    _set_aside(claimed, folder / DONE / day, ".batch", batch.public_id)
    logger.info("scan file received from the watched folder", extra={"batch": batch.public_id})
    return Outcome(name=claimed.name, batch=batch.public_id)
