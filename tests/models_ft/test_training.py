"""LoRA training for real, on CPU, on a demo model built from the demo company's documents: the loss falls,
only reply tokens count, the adapter saves, loads and changes the output, a cancelled run resumes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from demo.documents import demo_documents
from models_ft.contracts import PromptMessage
from models_ft.serving.local import prompt_text
from models_ft.training.demo_model import DemoModelConfig, demo_label, make_demo_model
from models_ft.training.train import (
    IGNORE,
    LoraTrainingConfig,
    TrainingCancelled,
    TrainingError,
    encode,
    main,
    train,
)

SMALL = DemoModelConfig(vocab_size=1024, hidden_size=64, layers=2, heads=2, intermediate_size=128, steps=20)
FAST = LoraTrainingConfig(
    rank=4,
    alpha=8,
    epochs=3,
    batch_size=4,
    learning_rate=2e-2,
    max_length=256,
    checkpoint_every=2,
    dropout=0.0,
    target_modules=("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"),
)


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("demo-model")
    made = make_demo_model(folder, [d.body for d in demo_documents()][:12], config=SMALL)
    assert made["final_loss"] < 9
    return str(folder)


def _conversations(count: int = 12) -> list[dict]:
    return [
        {
            "id": i,
            "messages": [
                {"role": "system", "content": "You draft replies for support agents."},
                {"role": "user", "content": f"Customer asks about refund number {i}."},
                {"role": "assistant", "content": "Hi there, refunds take five days. Kind regards, Quill"},
            ],
        }
        for i in range(count)
    ]


@pytest.fixture
def dataset(tmp_path) -> Path:
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in _conversations()))
    return path


def test_only_the_reply_counts_and_the_prompt_is_formatted_as_when_serving(base):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base)
    messages = _conversations(1)[0]["messages"]
    example = encode(tokenizer, messages, max_length=256)
    prompt = prompt_text(tokenizer, [PromptMessage(m["role"], m["content"]) for m in messages[:-1]])
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    assert example.input_ids[: len(prompt_ids)] == prompt_ids
    assert example.labels[: len(prompt_ids)] == [IGNORE] * len(prompt_ids)
    reply = example.labels[len(prompt_ids) :]
    assert reply == example.input_ids[len(prompt_ids) :]
    assert reply[-1] == tokenizer.eos_token_id
    assert tokenizer.decode(reply[:-1]) == messages[-1]["content"]
    # Too long: the beginning of the prompt goes, the reply stays whole.
    short = encode(tokenizer, messages, max_length=len(reply) + 3)
    assert len(short.input_ids) == len(reply) + 3
    assert short.labels[3:] == reply


def test_training_lowers_the_loss_and_the_adapter_changes_the_output(base, dataset, tmp_path):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    seen = []
    result = train(base_model=base, dataset=dataset, out=tmp_path / "run", config=FAST, progress=seen.append)
    assert result.steps == 9
    assert [p.step for p in seen] == list(range(1, 10))
    # A tiny model learns slowly through LoRA alone, but steadily.
    assert result.final_loss < result.first_loss * 0.97
    assert sum(loss for _, loss in result.losses[-3:]) < sum(loss for _, loss in result.losses[:3])
    assert seen[-1].tokens_per_second > 0
    assert result.peak_memory_mb > 0
    assert (result.adapter_path / "adapter_config.json").is_file()
    assert not (tmp_path / "run" / "checkpoints").exists()
    summary = json.loads((tmp_path / "run" / "training.json").read_text())
    assert summary["config"]["rank"] == 4
    assert summary["base_model"] == base

    tokenizer = AutoTokenizer.from_pretrained(base)
    prompt = tokenizer(
        prompt_text(tokenizer, [PromptMessage("user", "Customer asks about refund number 3.")]),
        return_tensors="pt",
        add_special_tokens=False,
    )
    bare = AutoModelForCausalLM.from_pretrained(base).eval()
    with torch.no_grad():
        before = bare(**prompt).logits[0, -1]
    tuned = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), result.adapter_path).eval()
    with torch.no_grad():
        after = tuned(**prompt).logits[0, -1]
    assert not torch.allclose(before, after)
    target = tokenizer("Hi", add_special_tokens=False)["input_ids"][0]
    # It learned how replies begin.
    assert after.softmax(-1)[target] > before.softmax(-1)[target]


def test_a_cancelled_run_resumes_from_its_checkpoint(base, dataset, tmp_path):
    out = tmp_path / "run"
    asked = {"n": 0}

    def stop_after_four() -> bool:
        asked["n"] += 1
        return asked["n"] > 4

    with pytest.raises(TrainingCancelled, match="at step 4"):
        train(base_model=base, dataset=dataset, out=out, config=FAST, should_stop=stop_after_four)
    assert (out / "checkpoints" / "step-4" / "state.pt").is_file()
    steps = []
    result = train(
        base_model=base, dataset=dataset, out=out, config=FAST, progress=lambda p: steps.append(p.step)
    )
    assert result.resumed_from == 4
    assert steps == [5, 6, 7, 8, 9]
    assert [s for s, _ in result.losses] == list(range(1, 10))


def test_bad_input_is_a_clear_training_error(base, dataset, tmp_path):
    out = tmp_path / "run"
    with pytest.raises(TrainingError, match="No dataset file"):
        train(base_model=base, dataset=tmp_path / "missing.jsonl", out=out, config=FAST)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    with pytest.raises(TrainingError, match="holds no examples"):
        train(base_model=base, dataset=empty, out=out, config=FAST)
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"messages": [{"role": "user", "content": "no reply"}]}\n')
    with pytest.raises(TrainingError, match="line 1"):
        train(base_model=base, dataset=broken, out=out, config=FAST)
    with pytest.raises(TrainingError, match="Could not load the base model"):
        train(base_model=str(tmp_path / "no-model"), dataset=dataset, out=out, config=FAST)
    with pytest.raises(TrainingError, match="Cannot put LoRA layers"):
        train(
            base_model=base,
            dataset=dataset,
            out=out,
            config=LoraTrainingConfig(target_modules=("c_attn",), max_length=64),
        )
    with pytest.raises(TrainingError, match="rank and alpha"):
        LoraTrainingConfig(rank=0)
    with pytest.raises(TrainingError, match="Unknown training settings: colour"):
        LoraTrainingConfig.from_dict({"colour": "blue"})
    assert not (out / "adapter").exists()


def test_train_py_runs_by_hand(base, dataset, tmp_path, capsys):
    out = tmp_path / "manual"
    code = main(["--base", base, "--data", str(dataset), "--out", str(out), "--epochs", "1", "--rank", "2"])
    assert code == 0
    assert (out / "adapter" / "adapter_model.safetensors").is_file()
    assert "adapter saved in" in capsys.readouterr().out
    assert main(["--base", str(tmp_path / "nothing"), "--data", str(dataset), "--out", str(out)]) == 1
    assert "Could not load the base model" in capsys.readouterr().err


def test_the_demo_model_says_what_it_is(base, tmp_path):
    assert demo_label(base).startswith("Openbook demo model")
    assert demo_label(str(tmp_path)) is None
