"""`routellm train`: train a router on named training sets and write a checkpoint directory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from .group import app

KINDS = ("mf", "sw_ranking", "bert", "causal_llm", "difficulty", "gated_experts")


def _parse_params(pairs: list[str]) -> dict:
    params = {}
    for pair in pairs:
        if "=" not in pair:
            raise typer.BadParameter(f"--param takes key=value, got {pair!r}")
        key, value = pair.split("=", 1)
        try:
            params[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            params[key.strip()] = value
    return params


@app.command(context_settings={"allow_extra_args": True})
def train(
    ctx: typer.Context,
    kind: str = typer.Argument(..., help=f"Router kind: {', '.join(KINDS)}."),
    data: str = typer.Option("arena_bench,llmrouter,mmlu_pro", "--data", "-d",
                             help="Comma-separated training sets: names, name=FILE for the online "
                                  "sets (chatbot_arena, gpt4_judge_battles), or battle files."),
    out: Path = typer.Option(..., "--out", "-o", help="Checkpoint directory to write."),
    data_root: Optional[Path] = typer.Option(None, "--data-root", help="The data folder (default: ../shared/data)."),
    evals: Optional[Path] = typer.Option(None, "--evals", help="Evaluation folder (default: DATA_ROOT/routellm_evals)."),
    strong: str = typer.Option("gpt-4-1106-preview", "--strong", help="The strong model the router scores."),
    weak: str = typer.Option("mistralai/Mixtral-8x7B-Instruct-v0.1", "--weak", help="The weak model it scores."),
    param: list[str] = typer.Option([], "--param", "-p", help="Hyper-parameter key=value (JSON values), repeatable."),
    seed: int = typer.Option(0, "--seed", help="Random seed (training and battle order)."),
    evaluate: bool = typer.Option(True, "--eval/--no-eval", help="Score MMLU and GSM8K and record them in the card."),
    eval_sample: Optional[int] = typer.Option(None, "--eval-sample", help="Score a seeded sample of each benchmark."),
    cv: bool = typer.Option(False, "--cv/--no-cv", help="Also run the arena_bench 5-fold cross-validation."),
    cv_repeats: int = typer.Option(1, "--cv-repeats", help="Repeat the cross-validation with this many fold seeds."),
    permissive_only: bool = typer.Option(False, "--permissive-only",
                                         help="Refuse data that is not Apache-2.0/MIT (for routers that ship)."),
    decontaminate: bool = typer.Option(True, "--decontaminate/--no-decontaminate",
                                       help="Drop training prompts that match evaluation prompts."),
    outcomes: list[Path] = typer.Option(
        [], "--outcomes", help="Train an N-model mf router on per-model outcome tables instead of battles "
        "(RouterBench layout: prompt, a correctness column per model, <model>|total_cost). Repeatable; a "
        "shell glob after it works too. Evaluate the result with `routellm eval ROUTER --outcomes ...`."),
    models: Optional[str] = typer.Option(None, "--models", help="With --outcomes: the models to learn, "
                                         "comma-separated (default: every model in the tables)."),
    price: list[str] = typer.Option([], "--price", help="With --outcomes: MODEL=USD per call, replacing the "
                                    "table's <model>|total_cost column (recorded in the card). Repeatable."),
    battles: list[Path] = typer.Option([], "--battles", help="Your battle files (e.g. from `routellm label`); "
                                       "repeatable. Without --init they join --data as training sets."),
    init: Optional[str] = typer.Option(None, "--init", help="Adapt this bundled router (e.g. `default`) or "
                                       "checkpoint to --battles instead of training from scratch (docs/your_traffic.md)."),
) -> None:
    """Train a router: load and decontaminate the data, fit, evaluate, and save with a card."""
    if init is not None:
        _adapt(kind, init, battles, out, strong, weak, seed)
        return
    if battles:
        data = ",".join(str(p) for p in battles)
    if outcomes or ctx.args:
        _train_on_outcomes(kind, outcomes, ctx.args, out, models, price, strong, weak, _parse_params(param), seed)
        return
    from rich.console import Console

    from ..data import default_data_root
    from ..data.files import NoDataFolderError
    from ..errors import RouteLLMError
    from ..training.cross_validation import cross_validation_summary
    from ..training.datasets import load_training_data
    from ..training.evaluate import evaluate_router, summary
    from ..training.pipelines import fit_and_score, train_router

    console = Console(stderr=True)
    if kind not in KINDS:
        raise typer.BadParameter(f"unknown router kind {kind!r}; choose one of {', '.join(KINDS)}")
    names = [n.strip() for n in data.split(",") if n.strip()]
    options = _parse_params(param)
    if kind in ("mf", "bert", "causal_llm"):  # the kinds with a random component
        options = {"seed": seed, **options}
    try:
        # The data folder is looked up only where something needs it: a battle file trained without
        # decontamination or evaluation needs none.
        training = load_training_data(names, data_root, evals, clean=decontaminate, seed=seed, log=console.print)
        if permissive_only:
            training.require_permissive()
        console.print(f"training a {kind} router on {training.card()['battles_per_source']}")
        router = train_router(kind, training, strong=strong, weak=weak, **options)
        router.name = out.name
        figures = {}
        if evaluate:
            evals_dir = evals or Path(data_root or default_data_root()) / "routellm_evals"
            for name, result in evaluate_router(router, evals_dir, sample=eval_sample).items():
                figures[name] = summary(result)
        if cv:
            figures["arena_bench_cv5"] = cross_validation_summary(
                fit_and_score(kind, strong=strong, weak=weak, **options), training, repeats=cv_repeats,
                router_name=out.name)
    except NoDataFolderError:  # the Python API's wording says root=; here it is the option
        raise typer.BadParameter(str(NoDataFolderError.for_option("--data-root"))) from None
    except RouteLLMError as exc:
        raise typer.BadParameter(str(exc)) from None
    if figures:
        router.card["evaluation"] = figures
    router.save(out)
    console.print(f"saved {kind} router to {out}")
    typer.echo(json.dumps({"out": str(out), "kind": kind, "evaluation": figures}, indent=2))


def _train_on_outcomes(kind: str, outcomes: list[Path], extra: list[str], out: Path, models: Optional[str],
                       price: list[str], strong: str, weak: str, options: dict, seed: int) -> None:
    """`routellm train mf --outcomes FILE... --out DIR`: the N-model MF router on per-model outcome tables."""
    from rich.console import Console

    from ..data import load_per_model_outcomes, parse_prices
    from .eval_n_models import is_table_file

    if not outcomes:
        raise typer.BadParameter(f"unexpected extra argument(s) {extra}")
    stray = [a for a in extra if not is_table_file(a)]
    if stray:
        raise typer.BadParameter(f"unexpected extra argument(s) {stray} (not outcome table files)")
    if kind != "mf":
        raise typer.BadParameter(f"only the mf kind trains on outcome tables (an N-model router), not {kind!r}")
    console = Console(stderr=True)
    names = [m.strip() for m in models.split(",") if m.strip()] if models else None
    try:
        from ..training.mf_quality import train_on_outcomes

        table = load_per_model_outcomes([*outcomes, *map(Path, extra)], models=names, prices=parse_prices(price))
        console.print(f"training an N-model mf router on {len(table):,} prompts x {len(table.models)} models")
        router = train_on_outcomes(table, strong=strong, weak=weak, **{"seed": seed, **options})
    except ValueError as exc:  # bad tables (DataError) and unknown options
        raise typer.BadParameter(str(exc)) from None
    router.name = out.name
    router.save(out)
    console.print(f"saved {router.kind} router to {out}")
    typer.echo(json.dumps({"out": str(out), "kind": router.kind, "models": router.models,
                           "prompts": len(table)}, indent=2))


def _adapt(kind: str, init: str, battles: list[Path], out: Path, strong: str, weak: str, seed: int) -> None:
    """`routellm train KIND --battles FILE --init default`: the bundled router adapted to your labels."""
    from rich.console import Console

    from ..errors import RouteLLMError
    from ..registry import load_router
    from ..training.adapt import adapt_router, load_battles

    if not battles:
        raise typer.BadParameter("--init adapts a router to your labels: give them with --battles FILE")
    console = Console(stderr=True)
    try:
        base = load_router(init)
        if kind != base.kind:
            raise typer.BadParameter(f"--init {init} is a {base.kind} router, not {kind}: use `routellm train "
                                     f"{base.kind} ... --init {init}`")
        table = load_battles(battles)
        console.print(f"adapting {init} ({base.kind}) to {len(table):,} battles of {strong} vs {weak}")
        router = adapt_router(base, table, strong, weak, seed=seed, labels=", ".join(p.name for p in battles))
    except (RouteLLMError, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from None
    router.name = out.name
    router.save(out)
    cv = router.card["cross_validation"]
    console.print(f"saved the adapted router to {out}: {router.card['head']['chosen']}")
    typer.echo(json.dumps({"out": str(out), "kind": router.kind, "head": router.card["head"],
                           "cross_validation": cv}, indent=2))
