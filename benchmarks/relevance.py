"""Caucasus relevance: precision and recall per fixture set, false positives on general news, speed.

Usage: python benchmarks/relevance.py [DIR ...] [--repeat N] [--explain]

Sets (each DIR holds positive/ and negative/ .txt articles: title line, blank line, body):
- hard: tests/data/relevance and its round2/ — the 60 long hard cases (goal 1.00 / 1.00);
- short-tune / short-heldout: tests/data/relevance/short, 67 hand-written short items split BEFORE
  tuning by sha256(file stem) % 2 (0 = tune), recorded in short/SPLIT.md (goal on held-out:
  recall ≥ 0.95 with precision ≥ 0.95);
- short-unseen: tests/data/relevance/short_unseen, 28 items written after the rules froze;
- general news: the article bodies of ../shared/benchmarks/extraction (181 pages) and
  extraction-dragnet (600 pages): none is about the region, so every "relevant" is a false positive.
Also: the age of the curated, dated layers (officials, outlets). The LAST line is one JSON object.
Given DIRs, only those are scored (one set each).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from extractors.gazetteer import load_gazetteer  # noqa: E402
from extractors.relevance import score_relevance  # noqa: E402

FIXTURES = ROOT / "tests" / "data" / "relevance"
GENERAL_NEWS = [ROOT.parent / "shared" / "benchmarks" / name for name in ("extraction", "extraction-dragnet")]
CURATED = [ROOT / "config" / "officials.yaml", ROOT / "config" / "outlets.yaml"]
STALE_DAYS = 400


def read_article(path: Path) -> tuple[str, str]:
    """A fixture's title (first line) and body (the rest)."""
    title, _, body = path.read_text(encoding="utf-8").partition("\n")
    return title.strip(), body.strip()


def split_half(path: Path) -> str:
    """The fixed split of the short items: decided by the file name alone, before any tuning."""
    return "tune" if int(hashlib.sha256(path.stem.encode()).hexdigest(), 16) % 2 == 0 else "heldout"


def labelled(dirs: list[Path]) -> list[tuple[Path, bool]]:
    out = []
    for d in dirs:
        out += [(p, True) for p in sorted((d / "positive").glob("*.txt"))]
        out += [(p, False) for p in sorted((d / "negative").glob("*.txt"))]
    return out


def default_sets() -> dict[str, list[tuple[Path, bool]]]:
    short = labelled([FIXTURES / "short"])
    return {
        "hard": labelled([FIXTURES, FIXTURES / "round2"]),
        "short-tune": [(p, y) for p, y in short if split_half(p) == "tune"],
        "short-heldout": [(p, y) for p, y in short if split_half(p) == "heldout"],
        "short-unseen": labelled([FIXTURES / "short_unseen"]),
    }


def score_set(name: str, items: list[tuple[Path, bool]], gaz, explain: bool) -> dict:
    tp = fp = fn = tn = 0
    for path, expected in items:
        rel = score_relevance(*read_article(path), gazetteer=gaz)
        tp += rel.relevant and expected
        fp += rel.relevant and not expected
        fn += expected and not rel.relevant
        tn += not expected and not rel.relevant
        if rel.relevant != expected or explain:
            tag = "ERROR" if rel.relevant != expected else "ok   "
            print(f"  {tag} {'pos' if expected else 'neg'} {path.parent.parent.name}/{path.parent.name}/{path.name}  "
                  f"score={rel.score:.2f} countries={','.join(rel.countries) or '-'}  {rel.reason}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(f"{name:14s} articles={len(items):3d}  tp={tp} fp={fp} fn={fn} tn={tn}  "
          f"precision={precision:.3f}  recall={recall:.3f}")
    return {"articles": len(items), "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "precision": round(precision, 3), "recall": round(recall, 3)}


def general_news(gaz, explain: bool) -> dict:
    """False positives on general (non-regional) news article bodies."""
    out = {}
    for folder in GENERAL_NEWS:
        truth = folder / "ground-truth.json"
        if not truth.is_file():
            print(f"general news: {truth} missing, skipped")
            continue
        pages = json.loads(truth.read_text(encoding="utf-8"))
        flagged = with_terms = 0
        for key, page in sorted(pages.items()):
            rel = score_relevance(page.get("headline") or "", page.get("articleBody") or "", gazetteer=gaz)
            with_terms += any(t.weight > 0 for t in rel.terms)
            if rel.relevant:
                flagged += 1
                print(f"  FALSE POSITIVE {folder.name}/{key} {page.get('url', '')[:70]}  {rel.reason}")
            elif explain and rel.terms:
                print(f"  ok {folder.name}/{key}  {rel.reason}")
        print(f"general news   {folder.name}: {flagged} of {len(pages)} marked relevant "
              f"({with_terms} name some regional term)")
        out[folder.name] = {"pages": len(pages), "relevant": flagged, "with_regional_terms": with_terms}
    return out


def layer_ages(today: date) -> dict:
    ages = {}
    for path in CURATED:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        dates = [e["as_of"] if isinstance(e["as_of"], date) else date.fromisoformat(str(e["as_of"]))
                 for e in doc["entities"]]
        oldest = min(dates)
        ages[path.name] = {"oldest_as_of": oldest.isoformat(), "age_days": (today - oldest).days}
        flag = "  STALE: re-check it (docs/choices.md)" if (today - oldest).days > STALE_DAYS else ""
        print(f"layer {path.name}: oldest entry as of {oldest} ({(today - oldest).days} days){flag}")
    return ages


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="*", type=Path)
    ap.add_argument("--repeat", type=int, default=3, help="passes over the articles for the speed figure")
    ap.add_argument("--explain", action="store_true", help="print every decision, not only the errors")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    gaz = load_gazetteer()
    load_ms = (time.perf_counter() - t0) * 1000
    sets = {d.name: labelled([d]) for d in args.dirs} if args.dirs else default_sets()
    result: dict = {"sets": {name: score_set(name, items, gaz, args.explain) for name, items in sets.items()}}
    if not args.dirs:
        result["general_news"] = general_news(gaz, args.explain)
        result["layers"] = layer_ages(date.today())

    corpus = [read_article(p) for items in sets.values() for p, _ in items]
    corpus += [read_article(p) for p in sorted((ROOT / "config" / "seeds").glob("*.txt"))]
    words = sum(len(t.split()) + len(b.split()) for t, b in corpus)
    t0 = time.perf_counter()
    for _ in range(args.repeat):
        for title, body in corpus:
            score_relevance(title, body, gazetteer=gaz)
    elapsed = time.perf_counter() - t0
    n = len(corpus) * args.repeat
    print(f"speed: {n / elapsed:.0f} articles/s, {elapsed / n * 1000:.2f} ms/article "
          f"(mean {words / len(corpus):.0f} words; gazetteer load {load_ms:.0f} ms, {len(gaz.entities)} entities)")
    result["speed_ms_per_article"] = round(elapsed / n * 1000, 2)

    s = result["sets"]
    goals = {}
    if "hard" in s:
        goals["hard_1.00"] = s["hard"]["precision"] == 1.0 and s["hard"]["recall"] == 1.0
    if "short-heldout" in s:
        goals["heldout_0.95"] = s["short-heldout"]["precision"] >= 0.95 and s["short-heldout"]["recall"] >= 0.95
    if "general_news" in result:
        goals["general_news_0_fp"] = all(v["relevant"] == 0 for v in result["general_news"].values())
    if not goals:
        goals["no_errors"] = all(v["fp"] + v["fn"] == 0 for v in s.values())
    result["goals_met"] = goals
    print(json.dumps(result, separators=(",", ":")))
    return 0 if all(goals.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
