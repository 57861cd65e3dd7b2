"""Command-line runners of special-group health cover (特定人群普惠健康险): ``puhui price``,
``puhui review`` and ``puhui tune`` on a health product file (``family = "health"``) — read the
product file and the data folder strictly, call the family's report sections
(:mod:`puhui.life.health_report`), write the report folder and its manifest.

Data folder (``--data DIR``; each table ``.csv``, ``.parquet`` or ``.xlsx``; headers in
English, Chinese or both):

* ``members`` — one row per member × policy year in force: ``member`` (参保人), ``group`` (人群:
  elderly / disabled / poverty_alleviated), ``age`` (年龄), ``exposure`` (暴露, member-years
  0–1), ``policy_year`` (保单年度);
* ``claims`` (review, tune) — one row per cancer diagnosis or hospital stay: ``claim_id``,
  ``member``, ``policy_year``, ``group``, ``age``, ``line`` (cancer / medical), ``cost`` (the
  lump sum paid, or the stay's out-of-pocket cost, 元).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..errors import ParameterError
from ..life import health_report as reporting
from ..life.health_product import CLAIMS, MEMBERS, HealthPlan, example_product_path
from ..report import csv_bytes
from ..repro import check_output_folder, write_bytes
from .tables import read_folder_table, write_family_report

__all__ = ["run_price", "run_review", "run_tune", "write_example"]


def _as_of(members) -> str:
    """The rule check's date: the end of the latest policy year (deterministic outputs)."""
    return f"{int(members['policy_year'].max())}-12-31"


def _run(command: str, title: str, title_zh: str, product_path, data_dir, out_dir,
         options: dict, section, *, claims: bool = False) -> Path:
    inputs = (product_path, data_dir)
    check_output_folder(out_dir, inputs=inputs)
    plan = HealthPlan.from_toml(product_path)
    members, mpath = read_folder_table(data_dir, "members", MEMBERS)
    if len(members) == 0:
        raise ParameterError(f"{mpath}: the members table has no rows")
    paths = {"members": mpath}
    data = {"members": members}
    if claims:
        data["claims"], paths["claims"] = read_folder_table(data_dir, "claims", CLAIMS)
    return write_family_report(command, title, {"family": "health"}, plan, product_path,
                               data_dir, out_dir, paths, inputs, options, section, data,
                               _as_of(members), title_zh=title_zh)


def run_price(product_path, data_dir, out_dir, *, policy_books=()) -> Path:
    """``puhui price`` of a health product: premiums by group on next year's book."""
    return _run("price", "Pricing", "定价", product_path, data_dir, out_dir,
                {"policy_books": list(map(str, policy_books))},
                lambda rep, p, data, **kw: reporting.add_price(rep, p, data["members"], **kw))


def run_review(product_path, data_dir, out_dir, *, policy_books=()) -> Path:
    """``puhui review`` of a health product on the member-years and the claims."""
    return _run("review", "Review", "回溯", product_path, data_dir, out_dir,
                {"policy_books": list(map(str, policy_books))},
                lambda rep, p, data, **kw: reporting.add_review(rep, p, data["members"],
                                                                data["claims"], **kw),
                claims=True)


def run_tune(product_path, data_dir, out_dir, *, deductibles=None, payout_ratios=None,
             limits=None, lump_sums=None, max_prob_loss: float = 0.10,
             policy_books=()) -> Path:
    """``puhui tune`` of a health product: 起付线 × 赔付比例 × 限额 × lump sum."""
    options = {"deductibles": deductibles, "payout_ratios": payout_ratios, "limits": limits,
               "lump_sums": lump_sums, "max_prob_loss": max_prob_loss,
               "policy_books": list(map(str, policy_books))}
    return _run("tune", "Tuning", "方案调优", product_path, data_dir, out_dir, options,
                lambda rep, p, data, **kw: reporting.add_tuning(
                    rep, p, data["members"], data["claims"], deductibles=deductibles,
                    payout_ratios=payout_ratios, limits=limits, lump_sums=lump_sums,
                    max_prob_loss=max_prob_loss, **kw),
                claims=True)


def write_example(folder: Path, *, size: int | None = None, seed: int | None = None
                  ) -> list[Path]:
    """Write the example data folder into ``folder`` (a staged, empty folder): ``members.csv``
    and ``claims.csv`` of :func:`puhui.datasets.health.load_health` (``size`` members at the
    start; default 3,300 — about 6,000 member-years) and the example product file
    ``health.toml``."""
    from ..datasets.health import MEMBERS as START
    from ..datasets.health import SEED, load_health

    total = sum(START.values())
    scale = 1.0 if size is None else int(size) / total
    if size is not None and int(size) < 3:
        raise ParameterError(f"--size must be ≥ 3 (a member of each group), got {size}")
    d = load_health(SEED if seed is None else int(seed), scale=scale)
    written = [write_bytes(folder / "members.csv", csv_bytes(d["members"])),
               write_bytes(folder / "claims.csv", csv_bytes(d["claims"]))]
    target = folder / "health.toml"
    shutil.copyfile(example_product_path(), target)
    return [*written, target]
