"""Sequence labelling: token files, the vocabulary, padding, checks and a short training."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from netbuilder.cli import main
from netbuilder.core.fileformat import load_graph, save_graph
from netbuilder.train import tagging
from netbuilder.train.config import TrainingConfig
from netbuilder.train.datasets import TAGGING, DataError, builtin_names, load_builtin
from netbuilder.train.engine import Trainer
from netbuilder.train.events import EvalReport, Failed, Finished
from netbuilder.train.prepare import TrainingError, prepare_data
from netbuilder.train.session import check
from netbuilder.train.userdata import load_data

ROOT = Path(__file__).resolve().parents[2]
TAGGER = ROOT / "examples" / "lstm_tagger.json"


def test_builtin_is_generated_from_a_grammar_and_described_so():
    assert "pos_tags" in builtin_names()
    ds = load_builtin("pos_tags")
    assert ds.task == TAGGING and "grammar" in ds.description
    assert ds.x.dtype == np.int64 and ds.y.shape == ds.x.shape
    assert ds.vocabulary[:2] == ["<pad>", "<unk>"]
    lengths = [len(w) for w, _ in ds.sentences]
    assert min(lengths) < max(lengths)  # variable length, padded on the right
    assert (ds.y[ds.x == 0] == tagging.IGNORE).all()


def test_conll_file_reads_sentences_and_a_bad_line_names_file_and_line(tmp_path):
    good = tmp_path / "train.conll"
    good.write_text("# a comment\nthe\tDET\ndog\tNOUN\nruns\tVERB\n\nshe\tPRON\nsings\tVERB\n", encoding="utf-8")
    ds = load_data(str(good))
    assert ds.task == TAGGING and len(ds) == 2 and ds.class_names == ["DET", "NOUN", "PRON", "VERB"]
    bad = tmp_path / "broken.conll"
    bad.write_text("the\tDET\ndog\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"broken\.conll, line 2: expected a word and its tag"):
        load_data(str(bad))


def test_two_column_csv_with_header_and_a_bad_row(tmp_path):
    path = tmp_path / "tags.csv"
    path.write_text("word,tag\nthe,DET\ncat,NOUN\n,\nit,PRON\n", encoding="utf-8")
    ds = load_data(str(path), task="tagging")
    assert [w for w, _ in ds.sentences] == [["the", "cat"], ["it"]]
    path.write_text("word,tag\nthe,DET\ncat,NOUN,extra\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"tags\.csv, line 3: expected two columns"):
        load_data(str(path), task="tagging")


def test_vocabulary_comes_from_the_training_split_only():
    config = TrainingConfig.from_dict({"data": {"source": "pos_tags"}})
    data = prepare_data(config)
    train_words = {w for words, _ in data.train.sentences for w in words}
    assert set(data.full.vocabulary[2:]) == train_words
    assert data.scaling is None and len(data.val) == 400


def test_trimmed_batches_cut_padding_to_the_longest_sentence():
    x = torch.tensor([[3, 4, 0, 0, 0], [5, 0, 0, 0, 0]])
    y = torch.tensor([[1, 2, -100, -100, -100], [0, -100, -100, -100, -100]])
    from netbuilder.train.recipe import Batches

    (bx, by), = list(tagging.TrimmedBatches(Batches(x, y, 8)))
    assert bx.shape == (2, 2) and by.shape == (2, 2)


def test_token_scores_skip_padding():
    outputs = np.zeros((1, 3, 2))
    outputs[0, 0, 1] = outputs[0, 1, 0] = 5.0
    accuracy, confusion, precision, recall, f1 = tagging.token_scores(outputs, np.array([[1, 1, -100]]), 2)
    assert accuracy == 0.5 and confusion.tolist() == [[0, 0], [1, 1]]
    assert recall.tolist() == [0.0, 0.5] and f1[1] == pytest.approx(2 / 3)


def test_output_without_time_axis_is_refused_with_the_node_to_fix():
    doc = load_graph(TAGGER)
    doc.nodes["lstm"].params["output"] = "last"
    with pytest.raises(TrainingError, match=r"no time axis: LSTM 'lstm' gives only its last step: "
                                            r"set its output to sequence") as info:
        check(doc, TrainingConfig.from_dict(doc.training))
    assert info.value.node_id == "log_probs"


def test_wrong_width_small_embedding_and_time_softmax_are_refused():
    config = TrainingConfig.from_dict(load_graph(TAGGER).training)
    doc = load_graph(TAGGER)
    doc.nodes["tag_scores"].params["out_features"] = 7
    with pytest.raises(TrainingError, match="has 10 tags: give the Linear before it out_features 10"):
        check(doc, config)
    doc = load_graph(TAGGER)
    doc.nodes["embedding"].params["num_embeddings"] = 20
    with pytest.raises(TrainingError, match="set its num_embeddings to at least"):
        check(doc, config)
    doc = load_graph(TAGGER)
    doc.nodes["log_probs"].params["dim"] = 1
    with pytest.raises(TrainingError, match="set its dim to -1"):
        check(doc, config)


def test_the_example_reaches_095_token_accuracy_and_saves_its_vocabulary(tmp_path):
    doc = load_graph(TAGGER)
    events = list(Trainer(doc, runs_dir=tmp_path, save_every_s=0).run())
    assert not [e for e in events if isinstance(e, Failed)], [e for e in events if isinstance(e, Failed)]
    finished = events[-1]
    assert isinstance(finished, Finished)
    assert finished.history[-1]["token_accuracy"] >= 0.95
    report = [e for e in events if isinstance(e, EvalReport)][-1]
    assert report.task == "tagging" and len(report.f1) == 10 and report.worst
    mistake = report.worst[0]
    assert mistake["wrong"] and all(mistake["true"][i] != mistake["pred"][i] for i in mistake["wrong"])
    vocabulary = json.loads((Path(finished.run_dir) / "vocabulary.json").read_text())
    assert vocabulary["words"][:2] == ["<pad>", "<unk>"] and len(vocabulary["tags"]) == 10


WITHOUT_NETBUILDER = ("import runpy, sys; sys.modules['netbuilder'] = None; sys.argv = sys.argv[1:]; "
                      "runpy.run_path(sys.argv[0], run_name='__main__')")


def _run_script(folder: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, "-I", "-c", WITHOUT_NETBUILDER, "train.py", *args], cwd=folder,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_exported_tagging_script_trains_like_the_app_and_tags_without_netbuilder(tmp_path):
    conll = tmp_path / "pos.conll"
    conll.write_text("\n\n".join("\n".join(f"{w}\t{t}" for w, t in zip(*s)) for s in
                                 tagging.grammar_sentences(300, seed=1)) + "\n", encoding="utf-8")
    doc = load_graph(TAGGER)
    doc.training = {**doc.training, "data": {"source": "pos.conll"}, "epochs": 1}
    save_graph(doc, tmp_path / "tagger.json")
    assert main(["export", str(tmp_path / "tagger.json"), "--train", "-o", str(tmp_path / "train.py")]) == 0
    source = (tmp_path / "train.py").read_text()
    assert "import netbuilder" not in source and "from netbuilder" not in source
    printed = _run_script(tmp_path)
    events = list(Trainer(load_graph(tmp_path / "tagger.json"), runs_dir=tmp_path / "runs",
                          base_dir=tmp_path).run())
    app_loss = events[-1].history[0]["train_loss"]
    assert f"train_loss {app_loss:.4g}" in printed.splitlines()[0]
    vocabulary = json.loads((tmp_path / "checkpoints" / "vocabulary.json").read_text())
    assert vocabulary["words"] == json.loads((Path(events[-1].run_dir) / "vocabulary.json").read_text())["words"]
    tagged = _run_script(tmp_path, "--tag", "She sees the dog.")
    assert tagged.strip().split(" ")[0].startswith("she/") and len(tagged.split()) == 5


def test_cli_prints_token_accuracy_and_the_run_tags_a_typed_sentence(tmp_path, capsys):
    from netbuilder.train.predict_text import TextModel

    assert main(["train", str(TAGGER), "--runs", str(tmp_path), "--epochs", "2"]) == 0
    captured = capsys.readouterr()
    printed = captured.out + captured.err
    assert "token_accuracy" in printed and "macro_f1" in printed
    run_dir = next(tmp_path.glob("lstm_tagger/*"))
    model = TextModel.from_run(run_dir)
    prediction = model.predict("The dog sees a zebra!")
    assert prediction.words == ["the", "dog", "sees", "a", "zebra", "!"] and prediction.unknown == (4,)
    assert prediction.tags[:4] == ["DET", "NOUN", "VERB", "DET"] and prediction.tags[-1] == "PUNCT"
    (run_dir / "vocabulary.json").unlink()
    assert TextModel.from_run(run_dir) is None  # not trained on text: nothing to try


@pytest.mark.slow
def test_exported_tagging_script_runs_on_two_processes_under_torchrun(tmp_path):
    import os
    import shutil

    bin_dir = Path(sys.executable).parent
    torchrun = shutil.which("torchrun") or (bin_dir / "torchrun" if (bin_dir / "torchrun").exists() else None)
    if torchrun is None:
        pytest.skip("torchrun is not installed: the distributed run cannot be tested")
    doc = load_graph(TAGGER)
    doc.training = {**doc.training, "epochs": 2}
    save_graph(doc, tmp_path / "tagger.json")
    assert main(["export", str(tmp_path / "tagger.json"), "--train", "-o", str(tmp_path / "train.py")]) == 0
    wrapper = tmp_path / "without_netbuilder.py"
    wrapper.write_text(WITHOUT_NETBUILDER.replace("; ", "\n") + "\n")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([str(torchrun), "--standalone", "--nproc_per_node", "2", str(wrapper), "train.py",
                           "--device", "cpu"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("epoch 2/2") == 1  # only rank 0 reports
    history = json.loads((tmp_path / "checkpoints" / "history.json").read_text())
    assert len(history) == 2 and history[1]["token_accuracy"] > history[0]["token_accuracy"] > 0.3
    state = torch.load(tmp_path / "checkpoints" / "best.pt", weights_only=True)
    assert not any(key.startswith("module.") for key in state["model"])
    tagged = _run_script(tmp_path, "--tag", "She sees the dog.")  # the two processes' model tags in one
    assert len(tagged.split()) == 5 and tagged.split()[-1] == "./PUNCT"
