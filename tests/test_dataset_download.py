"""Where MNIST-style datasets come from: explicit path, Keras' cache, our cache, a verified download.

No test reaches the internet: the files are tiny datasets made here and served by an
http.server on 127.0.0.1 (random port, in a thread, shut down after each test). HOME,
KERAS_HOME and SLIMLAYERS_HOME point into tmp_path, so the real home is never touched.
"""
import gzip
import hashlib
import http.server
import io
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import slimlayers as sl
from slimlayers.datasets import DatasetFileError, DatasetSpec, DownloadError, RemoteFile
from slimlayers.datasets.download import download
from slimlayers.datasets.loader import cache_dir, keras_datasets_dir, load, url_of
from slimlayers.datasets.spec import IDX_NAMES, KERAS_BASE_URL

ROOT = Path(__file__).resolve().parent.parent
RNG = np.random.default_rng(1)
TINY = {"x_train": RNG.integers(0, 256, (5, 4, 4), dtype=np.uint8), "y_train": np.arange(5, dtype=np.uint8),
        "x_test": RNG.integers(0, 256, (3, 4, 4), dtype=np.uint8), "y_test": np.array([2, 0, 1], np.uint8)}
OTHER = {key: (255 - a).astype(np.uint8) for key, a in TINY.items()}  # same shapes, other values


def npz_bytes(arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def idx_gz(array):
    array = np.asarray(array, np.uint8)
    header = bytes([0, 0, 8, array.ndim]) + b"".join(struct.pack(">I", n) for n in array.shape)
    return gzip.compress(header + array.tobytes(), mtime=0)


def sha(data):
    return hashlib.sha256(data).hexdigest()


NPZ = npz_bytes(TINY)
IDX = {IDX_NAMES[key]: idx_gz(TINY[key]) for key in TINY}
# what a test passes instead of the real 60,000-image specs: its own small files and their hashes
NPZ_SPEC = DatasetSpec("Tiny", [RemoteFile("mnist.npz", sha(NPZ))], num_train=5, num_test=3, image_shape=(4, 4))
IDX_SPEC = DatasetSpec("Tiny fashion", [RemoteFile(name, sha(data), len(data)) for name, data in IDX.items()],
                       subdir="fashion-mnist", num_train=5, num_test=3, image_shape=(4, 4))


def assert_tiny(result, arrays=TINY):
    (x_train, y_train), (x_test, y_test) = result
    for key, got in zip(("x_train", "y_train", "x_test", "y_test"), (x_train, y_train, x_test, y_test)):
        assert got.dtype == np.uint8 and np.array_equal(got, arrays[key]), key


def files_under(directory):
    return sorted(str(p.relative_to(directory)) for p in Path(directory).rglob("*") if p.is_file())


@pytest.fixture(autouse=True)
def homes(tmp_path, monkeypatch):
    """Every home directory in tmp_path; no proxy between the tests and 127.0.0.1."""
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("SLIMLAYERS_HOME", str(tmp_path / "slimlayers"))
    monkeypatch.delenv("SLIMLAYERS_DATASETS_URL", raising=False)
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    return tmp_path


class Server:
    """Serves ``files`` (name -> bytes) and records every request; ``cut`` names files sent only half-way,
    ``stall`` names files whose body never comes (until the test ends)."""

    def __init__(self):
        self.files, self.hits, self.cut, self.stall = {}, [], set(), set()
        self.release = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            timeout = 10  # every server-side socket has a timeout too

            def do_GET(self):
                name = self.path.lstrip("/")
                server.hits.append(name)
                body = server.files.get(name)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if name in server.stall:
                    self.wfile.write(body[:len(body) // 2])
                    self.wfile.flush()
                    server.release.wait(10)
                elif name in server.cut:
                    self.wfile.write(body[:len(body) // 2])
                    self.close_connection = True  # the socket closes with half the announced bytes sent
                else:
                    self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/mirror/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def server(monkeypatch):
    s = Server()
    s.files.update({"mirror/mnist.npz": NPZ, **{f"mirror/{name}": data for name, data in IDX.items()}})
    monkeypatch.setenv("SLIMLAYERS_DATASETS_URL", s.url)
    yield s
    s.close()


@pytest.fixture
def offline(monkeypatch):
    """A mirror URL on which nothing listens: every download fails to connect."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    monkeypatch.setenv("SLIMLAYERS_DATASETS_URL", url)
    return url


# -- locations ---------------------------------------------------------------
def test_locations_follow_the_environment(homes, monkeypatch):
    assert keras_datasets_dir() == str(homes / "keras" / "datasets")
    assert cache_dir() == str(homes / "slimlayers" / "datasets")
    monkeypatch.delenv("KERAS_HOME")
    monkeypatch.delenv("SLIMLAYERS_HOME")
    assert keras_datasets_dir() == str(homes / "home" / ".keras" / "datasets")
    assert cache_dir() == str(homes / "home" / ".slimlayers" / "datasets")


def test_urls_are_keras_unless_a_mirror_is_set(monkeypatch):
    assert url_of(sl.datasets.mnist.SPEC, sl.datasets.mnist.SPEC.files[0]) == \
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
    fashion = sl.datasets.fashion_mnist.SPEC
    assert sorted(url_of(fashion, f) for f in fashion.files) == sorted(
        f"{KERAS_BASE_URL}{split}-{kind}-ubyte.gz" for split in ("train", "t10k")
        for kind in ("images-idx3", "labels-idx1"))
    monkeypatch.setenv("SLIMLAYERS_DATASETS_URL", "http://mirror.example/data")
    assert url_of(fashion, fashion.files[0]) == "http://mirror.example/data/train-labels-idx1-ubyte.gz"


def test_the_real_specs_describe_keras_arrays():
    for spec in (sl.datasets.mnist.SPEC, sl.datasets.fashion_mnist.SPEC):
        assert spec.shapes == {"x_train": (60000, 28, 28), "y_train": (60000,), "x_test": (10000, 28, 28),
                               "y_test": (10000,)}
    assert sl.datasets.mnist.SPEC.files[0].sha256 == \
        "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
    assert sl.datasets.fashion_mnist.SPEC.subdir == "fashion-mnist"  # where Keras caches it


# -- download ----------------------------------------------------------------
def test_download_with_progress_then_the_cache_serves_it(server, homes, capsys):
    assert_tiny(load(NPZ_SPEC))
    assert server.hits == ["mirror/mnist.npz"]
    assert files_under(homes / "slimlayers") == ["datasets/mnist.npz"]  # no temporary file left
    err = capsys.readouterr().err
    assert "mnist.npz" in err and "100%" in err

    assert_tiny(load(NPZ_SPEC))
    assert server.hits == ["mirror/mnist.npz"]  # second load: from the cache, no request
    assert capsys.readouterr().err == ""


def test_progress_can_be_switched_off(server, capsys):
    assert_tiny(load(NPZ_SPEC, progress=False))
    assert capsys.readouterr().err == ""


def test_idx_dataset_downloads_its_four_files(server, homes):
    assert_tiny(load(IDX_SPEC))
    assert sorted(server.hits) == sorted(f"mirror/{name}" for name in IDX)
    assert files_under(homes / "slimlayers") == sorted(f"datasets/fashion-mnist/{name}" for name in IDX)


def test_checksum_mismatch_keeps_nothing(server, homes):
    server.files["mirror/mnist.npz"] = npz_bytes(OTHER)
    with pytest.raises(DatasetFileError, match=f"SHA-256 {sha(npz_bytes(OTHER))}, not the published {sha(NPZ)}"):
        load(NPZ_SPEC)
    assert files_under(homes / "slimlayers") == []


def test_real_mnist_spec_refuses_a_mirror_serving_other_bytes(server, homes):
    server.files["mirror/mnist.npz"] = NPZ  # a tiny file is not Keras' mnist.npz
    with pytest.raises(DatasetFileError, match="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"):
        sl.datasets.mnist.load_data(progress=False)
    assert server.hits == ["mirror/mnist.npz"]
    assert files_under(homes / "slimlayers") == []


def test_connection_dropped_midway_leaves_nothing(server, homes):
    server.cut.add("mirror/mnist.npz")
    with pytest.raises(DownloadError, match=f"closed after {len(NPZ) // 2} of {len(NPZ)} bytes") as info:
        load(NPZ_SPEC, progress=False)
    assert isinstance(info.value, OSError)
    assert files_under(homes / "slimlayers") == []  # neither the final file nor a temporary one
    server.cut.clear()
    assert_tiny(load(NPZ_SPEC, progress=False))  # and the next attempt succeeds


def test_a_stalled_server_times_out(server, homes):
    server.stall.add("mirror/mnist.npz")
    dest = homes / "slimlayers" / "datasets" / "mnist.npz"
    start = time.monotonic()
    with pytest.raises(DownloadError, match="broke off after"):
        download(server.url + "mnist.npz", dest, sha(NPZ), progress=False, timeout=0.3)
    assert time.monotonic() - start < 5
    assert files_under(homes / "slimlayers") == []


def test_a_size_that_differs_from_the_published_one_is_refused_early(server, homes):
    with pytest.raises(DownloadError, match=f"announces {len(NPZ)} bytes, but the published file has 7"):
        download(server.url + "mnist.npz", homes / "d" / "mnist.npz", sha(NPZ), size=7, progress=False)
    assert files_under(homes / "d") == []


def test_a_killed_download_never_leaves_a_file_under_the_final_name(server, homes):
    server.stall.add("mirror/mnist.npz")
    dest = homes / "slimlayers" / "datasets" / "mnist.npz"
    code = ("import sys; from slimlayers.datasets.download import download; "
            "download(sys.argv[1], sys.argv[2], sys.argv[3], progress=False, timeout=20)")
    proc = subprocess.Popen([sys.executable, "-c", code, server.url + "mnist.npz", str(dest), sha(NPZ)],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (server.hits and any(dest.parent.glob(".mnist.npz.*.part"))):
            assert proc.poll() is None, "the download process ended early"
            time.sleep(0.05)
        assert server.hits and any(dest.parent.glob(".mnist.npz.*.part")), "the download did not start"
        time.sleep(0.3)  # the server has sent half the body and holds the connection open
        assert proc.poll() is None
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert not dest.exists()


def test_offline_error_says_how_to_get_the_file_by_hand(offline, homes):
    with pytest.raises(DownloadError) as info:
        sl.datasets.mnist.load_data()
    message = str(info.value)
    for part in (f"{offline}mnist.npz", f"copy it into {homes / 'slimlayers' / 'datasets'}",
                 str(homes / "keras" / "datasets"), "pass the file as load_data(path=...)",
                 "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1", "SLIMLAYERS_DATASETS_URL"):
        assert part in message
    assert files_under(homes) == []


def test_offline_error_for_fashion_names_its_directory(offline, homes):
    with pytest.raises(DownloadError, match="pass their directory as load_data") as info:
        sl.datasets.fashion_mnist.load_data()
    message = str(info.value)
    assert str(homes / "slimlayers" / "datasets" / "fashion-mnist") in message
    for f in sl.datasets.fashion_mnist.SPEC.files:
        assert f"{offline}{f.name}" in message and f"{f.sha256}  {f.name}" in message


def test_http_error_is_a_download_error(server):
    del server.files["mirror/mnist.npz"]
    with pytest.raises(DownloadError, match="HTTP 404"):
        load(NPZ_SPEC)


# -- caches ------------------------------------------------------------------
def put(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_keras_cache_comes_first_and_is_left_alone(offline, homes):
    keras_file = homes / "keras" / "datasets" / "mnist.npz"
    put(keras_file, NPZ)
    assert_tiny(load(NPZ_SPEC))  # offline, yet loaded
    assert not (homes / "slimlayers").exists()  # nothing copied or written
    assert keras_file.read_bytes() == NPZ


def test_keras_cache_under_home_when_keras_home_is_unset(offline, homes, monkeypatch):
    monkeypatch.delenv("KERAS_HOME")
    for name, data in IDX.items():
        put(homes / "home" / ".keras" / "datasets" / "fashion-mnist" / name, data)
    assert_tiny(load(IDX_SPEC))


def test_keras_cache_before_ours(server, homes):
    put(homes / "keras" / "datasets" / "mnist.npz", NPZ)
    put(homes / "slimlayers" / "datasets" / "mnist.npz", b"stale")  # would warn and download if it were looked at
    assert_tiny(load(NPZ_SPEC))
    assert server.hits == []


def test_a_keras_file_with_another_hash_is_ignored_with_a_warning(server, homes):
    put(homes / "keras" / "datasets" / "mnist.npz", npz_bytes(OTHER))
    with pytest.warns(UserWarning, match="keras.*mnist.npz does not have the published SHA-256"):
        assert_tiny(load(NPZ_SPEC, progress=False))
    assert server.hits == ["mirror/mnist.npz"]
    assert (homes / "keras" / "datasets" / "mnist.npz").read_bytes() == npz_bytes(OTHER)  # untouched


def test_a_corrupt_cached_file_is_downloaded_again(server, homes):
    ours = homes / "slimlayers" / "datasets" / "mnist.npz"
    put(ours, NPZ[:100])
    with pytest.warns(UserWarning, match="downloading it again"):
        assert_tiny(load(NPZ_SPEC, progress=False))
    assert ours.read_bytes() == NPZ


def test_files_are_found_one_by_one(server, homes):
    names = list(IDX)
    for name in names[:2]:
        put(homes / "keras" / "datasets" / "fashion-mnist" / name, IDX[name])
    put(homes / "slimlayers" / "datasets" / "fashion-mnist" / names[2], IDX[names[2]])
    assert_tiny(load(IDX_SPEC, progress=False))
    assert server.hits == [f"mirror/{names[3]}"]


# -- explicit path -----------------------------------------------------------
def test_explicit_npz_comes_before_every_cache(server, homes):
    put(homes / "keras" / "datasets" / "mnist.npz", NPZ)
    mine = homes / "mine.npz"
    put(mine, npz_bytes(OTHER))  # not the published hash: a path is checked for structure only
    assert_tiny(load(NPZ_SPEC, path=mine), OTHER)
    assert_tiny(load(NPZ_SPEC, path=str(mine)), OTHER)
    assert server.hits == []


@pytest.mark.parametrize("gzipped", [True, False])
def test_explicit_directory_of_idx_files(server, homes, gzipped):
    for name, data in IDX.items():
        put(homes / "raw" / (name if gzipped else name[:-3]), data if gzipped else gzip.decompress(data))
    assert_tiny(load(NPZ_SPEC, path=homes / "raw"))  # either layout works for either dataset
    assert server.hits == []


def test_explicit_path_errors_name_the_problem(homes, monkeypatch):
    monkeypatch.setenv("HOME", str(homes))
    put(homes / "partial" / IDX_NAMES["x_train"], IDX[IDX_NAMES["x_train"]])
    with pytest.raises(ValueError, match=r"Invalid argument `path`: .*missing: train-labels-idx1-ubyte.gz, "
                                         r"t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz"):
        load(NPZ_SPEC, path=homes / "partial")
    with pytest.raises(FileNotFoundError, match="Invalid argument `path`: must be an existing"):
        load(NPZ_SPEC, path="~/nowhere.npz")
    with pytest.raises(TypeError, match="Invalid argument `path`: must be a str or os.PathLike"):
        load(NPZ_SPEC, path=5)
    put(homes / "bad.npz", b"PK\x03\x04 broken")
    with pytest.raises(DatasetFileError, match="bad.npz"):
        load(NPZ_SPEC, path="~/bad.npz")  # ~ expands


def test_real_loaders_read_full_size_files_from_a_path(tmp_path):
    """The real specs end to end, on synthetic files of MNIST's exact shapes (compressed: zeros are small)."""
    x_train = np.zeros((60000, 28, 28), np.uint8)
    x_train[::7, 3:9, 5:20] = 200
    y_train = (np.arange(60000) % 10).astype(np.uint8)
    x_test, y_test = x_train[:10000] // 2, y_train[:10000]
    np.savez_compressed(tmp_path / "mnist.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    (a, b), (c, d) = sl.datasets.mnist.load_data(tmp_path / "mnist.npz")
    assert [a.shape, b.shape, c.shape, d.shape] == [(60000, 28, 28), (60000,), (10000, 28, 28), (10000,)]
    assert np.array_equal(a, x_train) and np.array_equal(d, y_test) and a.dtype == d.dtype == np.uint8

    (tmp_path / "fashion").mkdir()
    for key, array in {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}.items():
        (tmp_path / "fashion" / IDX_NAMES[key]).write_bytes(idx_gz(array))
    (a, b), (c, d) = sl.datasets.fashion_mnist.load_data(tmp_path / "fashion")
    assert np.array_equal(a, x_train) and np.array_equal(b, y_train) and np.array_equal(c, x_test)
    with pytest.raises(DatasetFileError, match=r"expected \(60000, 28, 28\)"):
        sl.datasets.fashion_mnist.load_data(_tiny_dir(tmp_path / "tiny"))


def _tiny_dir(directory):
    directory.mkdir()
    for name, data in IDX.items():
        (directory / name).write_bytes(data)
    return directory
