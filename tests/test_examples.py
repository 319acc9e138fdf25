"""The teaching example's printed arithmetic is right; the autoencoder demo's --data flag works offline.

(The demos' default runs are tested in test_training.py.)
"""
import socket

import numpy as np
import pytest


def test_conv_arithmetic_example(capsys, load_example):
    load_example("conv_arithmetic").main()
    out = capsys.readouterr().out
    assert "-> (1, 19, 53, 64)   accepted H 19, W 53" in out
    assert "-> (1, 50, 152, 64)   accepted H 50..52, W 152..154" in out
    assert "forward conv of that output -> (1, 16, 50, 3)" in out
    assert "4x4 k3 s2 valid output_padding=None -> 9x9" in out
    assert "4x4 k3 s2 same  output_padding=None -> 8x8" in out
    assert "4x4 k3 s2 same  output_padding=0    -> 7x7" in out
    assert out.count("OK") == 3
    assert "4x4 k4 s2 same  output_padding=0    -> 6x6" in out and "outside TF's range" in out


def _fake_mnist(path):
    """A file with mnist.npz's keys, dtypes and shapes (not its images): bright squares on every 3rd image."""
    x = np.zeros((70000, 28, 28), np.uint8)
    x[::3, 8:20, 8:20] = 255
    y = (np.arange(70000) % 10).astype(np.uint8)
    np.savez_compressed(path, x_train=x[:60000], y_train=y[:60000], x_test=x[60000:], y_test=y[60000:])
    return path


def test_autoencoder_demo_trains_on_mnist_from_a_path(tmp_path, capsys, load_example):
    example = load_example("autoencoder")
    path = _fake_mnist(tmp_path / "mnist.npz")
    x_train, x_test = example.load_images("mnist", 100, 20, path)
    assert x_train.shape == (100, 28, 28, 1) and x_test.shape == (20, 28, 28, 1)
    assert x_train.dtype == np.float32 and x_train.min() == 0.0 and x_train.max() == 1.0
    example.main(["--data", "mnist", "--data-path", str(path), "--epochs", "1", "--train", "128", "--test", "16",
                  "--out", str(tmp_path / "out"), "--verbose", "0"])
    assert "mnist: 128 training and 16 test images" in capsys.readouterr().out
    assert (tmp_path / "out" / "autoencoder.safetensors").exists()


def test_autoencoder_demo_rejects_a_data_path_for_shapes(load_example):
    with pytest.raises(SystemExit):
        load_example("autoencoder").main(["--data-path", "mnist.npz"])


def test_autoencoder_demo_offline_exits_with_the_manual_steps(tmp_path, monkeypatch, load_example):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("SLIMLAYERS_HOME", str(tmp_path / "slimlayers"))
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("SLIMLAYERS_DATASETS_URL", f"http://127.0.0.1:{port}/")
    with pytest.raises(SystemExit, match=r"(?s)Could not download MNIST.*--data shapes needs no download"):
        load_example("autoencoder").main(["--data", "mnist", "--out", str(tmp_path / "out")])
