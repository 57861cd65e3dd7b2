"""The layers of puhui, read from the code's imports (docs/architecture.md draws them).

Every ``import`` and ``from … import`` of every module under ``src/puhui`` is read with ``ast``
— imports inside functions too (a lazy import is still a dependency), and
``importlib.import_module("…")`` with a literal name — and resolved to the module that defines
the name: ``from puhui.losses import lev`` depends on ``puhui.losses.lev``, not on the package's
``__init__`` that re-exports it. Enforced:

1. no import cycle between modules (a package's ``__init__`` is an index of re-exports and is
   left out of the cycle search, as a name it re-exports already resolves to its home);
2. the core packages never import a product family;
3. ``pricing`` never imports ``tuning``;
4. every package imports only packages on its own floor or below (:data:`FLOORS`), and no
   product family imports another.

Pieces several layers need have one home (P(CR > c), the member × line costs, a layer's
moments); the old import paths re-export the very same objects. The last tests run the checker
on small made-up packages, so that each rule is seen to fail.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, stats

import puhui

SRC = Path(__file__).resolve().parents[1] / "src" / "puhui"

#: Floors, bottom (0) to top: a package may import its own floor and the floors below.
FLOORS = {
    # foundation: errors, data model, benefit layers, credibility, rulebooks, figures, runs
    "errors": 0, "data": 0, "benefits": 0, "credibility": 0, "rules": 0, "plots": 0,
    "repro": 0, "report": 0,
    # loss models (LEV, coverage, payout moments, fitting, frequency, aggregate); the product file
    "losses": 1,
    # experience (exposure, triangles, A/E, member × line costs) and ratios (CR, P(CR > c))
    "experience": 2, "ratios": 2,
    # pricing (product-neutral loadings, participation, renewal; 惠民保 pricing for now)
    "pricing": 3, "reinsurance": 3,
    # tuning (grids of designs, evaluate, frontier, optimise)
    "tuning": 4,
    # the product families, each whole
    "huiminbao": 5, "agri": 5, "life": 5, "smallbiz": 5, "gig": 5,
    # seeded example data (generated with the families' tools)
    "datasets": 6,
    # entry points
    "cli": 7, "demo": 7,
    "verify": 7,
}
CORE = {"errors", "data", "benefits", "losses", "credibility", "ratios", "pricing", "rules",
        "repro", "plots", "reinsurance"}
FAMILIES = {"huiminbao", "agri", "life", "smallbiz", "gig"}

#: Imports that break a floor today, each with the reason and the way out. The list may only
#: shrink: a test fails when an entry no longer occurs.
KNOWN_BREAKS = {
    ("puhui.experience.mortality", "puhui.life.graduation"):
        "the mortality study graduates rates with life's Whittaker–Henderson; the fix is to move "
        "graduation and LifeTable below experience",
    ("puhui.experience.mortality", "puhui.life.table"):
        "the mortality study compares with the CL life tables (LifeTable); same fix",
}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int

    def __str__(self) -> str:
        return f"{self.source} -> {self.target} (line {self.line})"


def find_modules(root: Path) -> dict[str, Path]:
    """Dotted name → file of every module under ``root`` (a package named ``root.name``)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = (root.name, *path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


class ImportGraph:
    """The imports of a package tree, each resolved to the module that defines the name."""

    def __init__(self, root: Path):
        self.top = root.name
        self.modules = find_modules(root)
        self.trees = {m: ast.parse(p.read_text(encoding="utf-8"), str(p))
                      for m, p in self.modules.items()}
        self.edges = sorted({e for m in self.modules for e in self._edges(m)},
                            key=lambda e: (e.source, e.target, e.line))

    def is_package(self, name: str) -> bool:
        return name in self.modules and self.modules[name].name == "__init__.py"

    def package_of(self, name: str) -> str | None:
        """First component below the top package (``puhui.losses.lev`` → ``losses``)."""
        parts = name.split(".")
        return parts[1] if len(parts) > 1 else None

    def _owner(self, name: str) -> str | None:
        """The longest prefix of ``name`` that is one of our modules."""
        parts = name.split(".")
        for k in range(len(parts), 0, -1):
            prefix = ".".join(parts[:k])
            if prefix in self.modules:
                return prefix
        return None

    def _from_base(self, module: str, node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        here = module.split(".") if self.is_package(module) else module.split(".")[:-1]
        base = here[: len(here) - node.level + 1]
        return ".".join(base + ([node.module] if node.module else []))

    def resolve(self, base: str, name: str, seen: frozenset = frozenset()) -> str | None:
        """The module that defines ``name`` as imported ``from base``."""
        if f"{base}.{name}" in self.modules:
            return f"{base}.{name}"
        if self.is_package(base) and (base, name) not in seen:
            for node in self.trees[base].body:  # re-exports at the package's top level
                if isinstance(node, ast.ImportFrom):
                    for alias in node.names:
                        if (alias.asname or alias.name) == name:
                            origin = self._from_base(base, node)
                            return self.resolve(origin, alias.name, seen | {(base, name)})
        return self._owner(base)

    def _edges(self, module: str):
        for node in ast.walk(self.trees[module]):
            targets = []
            if isinstance(node, ast.Import):
                targets = [self._owner(a.name) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = self._from_base(module, node)
                targets = [self.resolve(base, a.name) for a in node.names]
            elif (isinstance(node, ast.Call) and node.args
                  and isinstance(node.args[0], ast.Constant)
                  and isinstance(node.args[0].value, str)
                  and getattr(node.func, "attr", getattr(node.func, "id", None))
                  in ("import_module", "__import__")):
                name = node.args[0].value
                if name.startswith(".") and len(node.args) > 1 and isinstance(
                        node.args[1], ast.Constant):
                    dots = len(name) - len(name.lstrip("."))
                    pkg = str(node.args[1].value).split(".")
                    name = ".".join(pkg[: len(pkg) - dots + 1] + [name.lstrip(".")])
                targets = [self._owner(name)]
            for t in targets:
                if t is not None and t != module and t.split(".")[0] == self.top:
                    yield Edge(module, t, node.lineno)

    def cycles(self) -> list[list[str]]:
        """Strongly connected sets of two or more modules (Tarjan), packages' ``__init__`` out."""
        graph: dict[str, set[str]] = {}
        for e in self.edges:
            if not self.is_package(e.source) and not self.is_package(e.target):
                graph.setdefault(e.source, set()).add(e.target)
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()
        found = []

        def visit(v):
            index[v] = low[v] = len(index)
            stack.append(v)
            on_stack.add(v)
            for w in sorted(graph.get(v, ())):
                if w not in index:
                    visit(w)
                    low[v] = min(low[v], low[w])
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))

        for v in sorted(graph):
            if v not in index:
                visit(v)
        return sorted(found)

    def between_packages(self):
        """Edges from one package to another, the top package's own ``__init__`` left out
        (it is the index of everything, and ``__version__`` lives there)."""
        for e in self.edges:
            a, b = self.package_of(e.source), self.package_of(e.target)
            if a is not None and b is not None and a != b:
                yield a, b, e


def core_imports_family(graph: ImportGraph) -> list[str]:
    return [f"core imports a product family: {e}" for a, b, e in graph.between_packages()
            if a in CORE and b in FAMILIES]


def pricing_imports_tuning(graph: ImportGraph) -> list[str]:
    return [f"pricing imports tuning: {e}" for a, b, e in graph.between_packages()
            if a == "pricing" and b == "tuning"]


def floor_breaks(graph: ImportGraph, known=()) -> list[str]:
    out = []
    for a, b, e in graph.between_packages():
        if (e.source, e.target) in known or a not in FLOORS or b not in FLOORS:
            continue
        if FLOORS[b] > FLOORS[a]:
            out.append(f"{a} (floor {FLOORS[a]}) imports {b} (floor {FLOORS[b]}): {e}")
        elif a in FAMILIES and b in FAMILIES:
            out.append(f"product family {a} imports product family {b}: {e}")
    return out


@pytest.fixture(scope="module")
def graph() -> ImportGraph:
    return ImportGraph(SRC)


# ------------------------------------------------------------------------- the package itself


def test_the_whole_package_is_read(graph):
    assert len(graph.modules) > 100
    assert len(graph.edges) > 300
    # a lazy import inside a function is an edge (participation's plot draws a figure)
    assert any(e.source == "puhui.pricing.participation" and e.target == "puhui.plots.figures"
               for e in graph.edges)
    # re-exports resolve to the defining module
    assert any(e.source == "puhui.huiminbao.pricing"
               and e.target == "puhui.credibility.buhlmann" for e in graph.edges)


def test_no_import_cycles(graph):
    assert graph.cycles() == []


def test_core_never_imports_a_product_family(graph):
    assert core_imports_family(graph) == []


def test_pricing_never_imports_tuning(graph):
    assert pricing_imports_tuning(graph) == []


def test_every_package_has_a_floor(graph):
    packages = {graph.package_of(m) for m in graph.modules} - {None}
    assert packages - set(FLOORS) == set(), "give a new package its floor in FLOORS"
    assert CORE <= set(FLOORS) and FAMILIES <= set(FLOORS)
    assert max(FLOORS[p] for p in CORE) < min(FLOORS[p] for p in FAMILIES)
    assert FLOORS["pricing"] < FLOORS["tuning"]


def test_packages_import_only_their_floor_and_below(graph):
    assert floor_breaks(graph, KNOWN_BREAKS) == []


def test_known_breaks_still_exist(graph):
    # a break that was mended must leave the list, so that it cannot come back unseen
    present = {(e.source, e.target) for e in graph.edges}
    assert [k for k in KNOWN_BREAKS if k not in present] == []


# ------------------------------------------------------------------ one home for shared pieces


def test_moved_pieces_have_one_home():
    from puhui import experience, losses, ratios, tuning
    from puhui.experience import member_costs
    from puhui.losses import payout
    from puhui.ratios import exceedance
    from puhui.tuning import costs, moments, risk

    assert tuning.MemberCosts is costs.MemberCosts is member_costs.MemberCosts
    assert tuning.CostModel is costs.CostModel is member_costs.CostModel
    assert tuning.exceedance_probability is risk.exceedance_probability \
        is ratios.exceedance_probability is exceedance.exceedance_probability
    assert tuning.np2_cdf is risk.np2_cdf is exceedance.np2_cdf
    assert tuning.layer_moments is moments.layer_moments is payout.layer_moments
    assert losses.FrequencyModel is losses.frequency.FrequencyModel \
        is losses.frequency_base.FrequencyModel
    assert experience.member_costs.CostModel is puhui.huiminbao.cost_model.CostModel


def _mixed_sf(t, mu, sd, cv):
    """Independent reference: ``P(Θ S > t) = ∫ Φ̄((t/θ(u) − μ)/σ) φ(u) du`` for S ~ N(μ, σ²),
    ``θ(u) = exp(σ_Θ u − σ_Θ²/2)``, by adaptive quadrature (scipy.integrate.quad)."""
    if cv == 0:
        return stats.norm.sf(t, mu, sd)
    s2 = np.log1p(cv**2)
    kink = (np.log(t / mu) + s2 / 2) / np.sqrt(s2)  # where t/θ crosses μ
    return integrate.quad(
        lambda u: stats.norm.sf(t / np.exp(np.sqrt(s2) * u - s2 / 2), mu, sd) * stats.norm.pdf(u),
        -12, 12, points=[kink], epsabs=1e-16, epsrel=1e-13, limit=1000)[0]


MU, T = 1.0e6, (0.9e6, 1.05e6, 1.3e6)


@pytest.mark.parametrize("cv", [0.0, 0.03, 0.1, 0.3])
@pytest.mark.parametrize("process_cv", [0.01, 0.05, 0.2])
def test_exceedance_of_a_normal_aggregate_against_quadrature(cv, process_cv):
    # S ~ N(μ, σ²): the "normal" method on the cumulants and the law of S give the same
    # P(Θ S > t) as an independent adaptive quadrature
    sd = process_cv * MU
    ref = np.array([_mixed_sf(t, MU, sd, cv) for t in T])
    from_moments = puhui.ratios.exceedance_probability(np.array(T), MU, sd**2, 0.0,
                                                       method="normal", cv=cv)
    np.testing.assert_allclose(from_moments, ref, rtol=1e-11, atol=1e-14)
    if process_cv >= cv:  # the law form integrates over Θ: accurate while Θ is the narrower
        from_law = puhui.ratios.exceedance_probability(np.array(T), law=stats.norm(MU, sd),
                                                       cv=cv)
        np.testing.assert_allclose(from_law, ref, rtol=1e-7, atol=1e-15)


@pytest.mark.parametrize("cv", [0.1, 0.3])
def test_exceedance_of_a_law_when_parameter_risk_dominates(cv):
    # process CV 1% below the parameter CV: the law form integrates over S there (over Θ alone
    # the 40 nodes missed by 1.0e-2 at cv 0.1 and 6.3e-2 at cv 0.3 on these T before the fix)
    sd = 0.01 * MU
    ref = np.array([_mixed_sf(t, MU, sd, cv) for t in T])
    from_law = puhui.ratios.exceedance_probability(np.array(T), law=stats.norm(MU, sd), cv=cv)
    np.testing.assert_allclose(from_law, ref, rtol=1e-7, atol=1e-15)


def test_combined_ratio_distribution_uses_the_one_exceedance():
    d = puhui.ratios.combined_ratio_distribution(
        puhui.Poisson(50), stats.gamma(2, scale=400.0), premium=50_000.0,
        variable_expense_rate=0.1, fixed_expenses=1_000.0, parameter_cv=0.1, step=20.0)
    cr = np.array([0.8, 1.0, 1.2])
    t = (cr - 0.1) * 50_000.0 - 1_000.0
    assert np.array_equal(d.sf(cr), puhui.ratios.exceedance_probability(t, law=d.claims, cv=0.1))
    assert np.array_equal(d.cdf(cr), puhui.ratios.exceedance.claims_cdf(t, d.claims, cv=0.1))


def test_exceedance_refuses_unclear_input():
    p = puhui.ratios.exceedance_probability
    law = stats.norm(100.0, 10.0)
    for kwargs in ({}, {"law": law, "mean": 1.0}, {"law": object()}, {"law": law, "cv": -0.1},
                   {"law": law, "nodes": 0}, {"law": law, "cv": "x"}):
        with pytest.raises(puhui.ParameterError):
            p(120.0, **kwargs)
    with pytest.raises(puhui.ParameterError):
        p(120.0, 100.0, 100.0, 0.0, method="lognormal")


# ----------------------------------------------------------------------- the checker can fail


def _tree(tmp_path: Path, files: dict[str, str]) -> ImportGraph:
    root = tmp_path / "puhui"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return ImportGraph(root)


def test_a_lazy_cycle_behind_a_reexport_is_found(tmp_path):
    g = _tree(tmp_path, {
        "__init__.py": "",
        "losses/__init__.py": "from .frequency import Poisson\n",
        "losses/frequency.py": """
            def as_frequency(x):
                from .frequency_ab1 import Logarithmic  # lazy
                return Logarithmic
            class Poisson: ...
            """,
        "losses/frequency_ab1.py": "from puhui.losses import Poisson\nclass Logarithmic: ...\n",
        "losses/ok.py": "from . import frequency_ab1\n",
    })
    assert g.cycles() == [["puhui.losses.frequency", "puhui.losses.frequency_ab1"]]


def test_a_three_module_cycle_is_found(tmp_path):
    g = _tree(tmp_path, {
        "__init__.py": "", "datasets/__init__.py": "",
        "datasets/store.py": "def f():\n    from .special_groups import SEED\n",
        "datasets/special_groups.py": "def g():\n    from .loaders import load\n",
        "datasets/loaders.py": "from .store import FILES\n",
    })
    assert g.cycles() == [["puhui.datasets.loaders", "puhui.datasets.special_groups",
                           "puhui.datasets.store"]]


def test_layer_breaks_are_found(tmp_path):
    g = _tree(tmp_path, {
        "__init__.py": "__version__ = '0'\n",
        "tuning/__init__.py": "from .risk import exceedance\n",
        "tuning/risk.py": "def exceedance(): ...\n",
        "agri/__init__.py": "",
        "life/__init__.py": "",
        "life/table.py": "from ..agri import x\n",
        "pricing/__init__.py": "",
        "pricing/a.py": "from puhui.tuning import exceedance\n",
        "pricing/b.py": "def f():\n    import puhui.tuning.risk\n",
        "pricing/c.py": "from .. import tuning\n",
        "pricing/d.py": ("import importlib\n"
                         "def f():\n    return importlib.import_module('..agri', 'puhui.pricing')\n"),
        "pricing/e.py": "from puhui import __version__\n",   # the top package is no layer
    })
    assert pricing_imports_tuning(g) == [
        "pricing imports tuning: puhui.pricing.a -> puhui.tuning.risk (line 1)",
        "pricing imports tuning: puhui.pricing.b -> puhui.tuning.risk (line 2)",
        "pricing imports tuning: puhui.pricing.c -> puhui.tuning (line 1)",
    ]
    assert core_imports_family(g) == [
        "core imports a product family: puhui.pricing.d -> puhui.agri (line 3)"]
    breaks = floor_breaks(g)
    assert breaks == [
        "product family life imports product family agri: puhui.life.table -> puhui.agri (line 1)",
        "pricing (floor 3) imports tuning (floor 4): puhui.pricing.a -> puhui.tuning.risk (line 1)",
        "pricing (floor 3) imports tuning (floor 4): puhui.pricing.b -> puhui.tuning.risk (line 2)",
        "pricing (floor 3) imports tuning (floor 4): puhui.pricing.c -> puhui.tuning (line 1)",
        "pricing (floor 3) imports agri (floor 5): puhui.pricing.d -> puhui.agri (line 3)",
    ]
    # a known break is let through, and only that one
    assert floor_breaks(g, {("puhui.pricing.a", "puhui.tuning.risk")}) == \
        breaks[:1] + breaks[2:]
