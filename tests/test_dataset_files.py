"""Reading IDX files and Keras .npz archives: exact shapes, or a DatasetFileError naming the file.

The test files are built here byte by byte (struct, gzip, np.savez), not with the code under test.
"""
import gzip
import io
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slimlayers.datasets import DatasetFileError, DatasetSpec, RemoteFile
from slimlayers.datasets.files import read_idx_files, read_npz
from slimlayers.datasets.idx import IMAGES_MAGIC, LABELS_MAGIC, read_idx
from slimlayers.datasets.spec import IDX_NAMES

RNG = np.random.default_rng(0)
TINY = {"x_train": RNG.integers(0, 256, (5, 4, 4), dtype=np.uint8), "y_train": np.arange(5, dtype=np.uint8),
        "x_test": RNG.integers(0, 256, (3, 4, 4), dtype=np.uint8), "y_test": np.arange(3, dtype=np.uint8)}
NPZ_SPEC = DatasetSpec("tiny", (RemoteFile("tiny.npz", "0" * 64),), num_train=5, num_test=3, image_shape=(4, 4))
IDX_SPEC = DatasetSpec("tiny", [RemoteFile(name, "0" * 64) for name in IDX_NAMES.values()], num_train=5,
                       num_test=3, image_shape=(4, 4))


def idx_bytes(array, code=0x08):
    array = np.asarray(array)
    header = bytes([0, 0, code, array.ndim]) + b"".join(struct.pack(">I", n) for n in array.shape)
    return header + array.tobytes()


def write(path, data):
    path.write_bytes(data)
    return path


def npz_bytes(**arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


# -- IDX ---------------------------------------------------------------------
@pytest.mark.parametrize("compress", [gzip.compress, bytes])
def test_idx_images_and_labels_round_trip_gzipped_or_not(tmp_path, compress):
    images = write(tmp_path / "images", compress(idx_bytes(TINY["x_train"])))
    labels = write(tmp_path / "labels", compress(idx_bytes(TINY["y_train"])))
    x = read_idx(images, IMAGES_MAGIC, (5, 4, 4))
    y = read_idx(labels, LABELS_MAGIC)
    assert x.dtype == np.uint8 and np.array_equal(x, TINY["x_train"])
    assert y.dtype == np.uint8 and np.array_equal(y, TINY["y_train"])
    x[0, 0, 0] = 1  # writable, like Keras' npz arrays
    assert read_idx(images, IMAGES_MAGIC).shape == (5, 4, 4)


def test_idx_empty_dataset_is_fine(tmp_path):
    path = write(tmp_path / "labels", idx_bytes(np.zeros(0, np.uint8)))
    assert read_idx(path, LABELS_MAGIC, (0,)).shape == (0,)


@pytest.mark.parametrize("data, expected, message", [
    (idx_bytes(TINY["y_train"]), IMAGES_MAGIC, r"magic number is 0x00000801 \(unsigned byte, 1 dimension\), "
                                               r"not 0x00000803 \(unsigned byte, 3 dimensions\)"),
    (idx_bytes(TINY["x_train"].astype(np.float32), code=0x0D), IMAGES_MAGIC, r"0x00000D03 \(float32"),
    (b"PK\x03\x04" + bytes(40), LABELS_MAGIC, "not an IDX file"),
    (idx_bytes(TINY["x_train"])[:-1], IMAGES_MAGIC, "truncated: 79 of 80 bytes of values"),
    (idx_bytes(TINY["x_train"])[:10], IMAGES_MAGIC, "truncated: 6 of 12 bytes of dimensions"),
    (b"\x00\x00", IMAGES_MAGIC, "truncated: 2 of 4 bytes of magic number"),
    (b"", LABELS_MAGIC, "truncated: 0 of 4"),
    (idx_bytes(TINY["y_train"]) + b"\x00", LABELS_MAGIC, "bytes follow the 5 values"),
])
def test_idx_bad_structure_is_a_clear_error_naming_the_file(tmp_path, data, expected, message):
    for name, blob in (("raw", data), ("gz", gzip.compress(data))):
        path = write(tmp_path / f"{name}-idx", blob)
        with pytest.raises(DatasetFileError, match=message) as info:
            read_idx(path, expected)
        assert str(path) in str(info.value)
        assert isinstance(info.value, ValueError)


def test_idx_shape_must_be_the_expected_one(tmp_path):
    path = write(tmp_path / "images.gz", gzip.compress(idx_bytes(TINY["x_test"])))
    with pytest.raises(DatasetFileError, match=r"declares shape \(3, 4, 4\), expected \(5, 4, 4\)"):
        read_idx(path, IMAGES_MAGIC, (5, 4, 4))


def test_idx_absurd_header_is_refused_before_allocating(tmp_path):
    header = bytes([0, 0, 8, 3]) + struct.pack(">III", 2**31, 2**16, 2**16)
    path = write(tmp_path / "images", header + bytes(100))
    with pytest.raises(DatasetFileError, match="GiB"):
        read_idx(path, IMAGES_MAGIC)


@pytest.mark.parametrize("damage, message", [
    (lambda b: b[:len(b) // 2], "gzip data is truncated or corrupt"),
    (lambda b: b[:-4], "gzip data is truncated or corrupt"),          # the trailer's length field is missing
    (lambda b: b[:-8] + bytes(8), "CRC check failed"),                # wrong CRC and length
    (lambda b: b + b"junk", "Not a gzipped file"),
])
def test_idx_broken_gzip_is_a_clear_error(tmp_path, damage, message):
    blob = gzip.compress(idx_bytes(TINY["x_train"]))
    path = write(tmp_path / "train-images-idx3-ubyte.gz", damage(blob))
    with pytest.raises(DatasetFileError, match=message) as info:
        read_idx(path, IMAGES_MAGIC, (5, 4, 4))
    assert "train-images-idx3-ubyte.gz" in str(info.value)


@settings(max_examples=60, deadline=None)
@given(cut=st.integers(0, 10**6), flip=st.integers(0, 10**6))
def test_idx_any_truncation_or_flipped_byte_never_gives_a_wrong_array(tmp_path_factory, cut, flip):
    blob = gzip.compress(idx_bytes(TINY["x_train"]), mtime=0)
    path = tmp_path_factory.mktemp("idx") / "f.gz"
    path.write_bytes(blob[:cut % len(blob)])
    with pytest.raises(DatasetFileError):
        read_idx(path, IMAGES_MAGIC, (5, 4, 4))
    flipped = bytearray(blob)
    flipped[flip % len(blob)] ^= 0x5A
    path.write_bytes(bytes(flipped))
    try:
        x = read_idx(path, IMAGES_MAGIC, (5, 4, 4))
    except DatasetFileError:
        return
    # gzip header fields (mtime, OS byte, flags) do not carry data: then the values are intact
    assert np.array_equal(x, TINY["x_train"])


def test_idx_files_of_a_spec(tmp_path):
    paths = {key: write(tmp_path / IDX_NAMES[key], gzip.compress(idx_bytes(TINY[key]))) for key in TINY}
    (x_train, y_train), (x_test, y_test) = read_idx_files(paths, IDX_SPEC)
    for key, got in zip(("x_train", "y_train", "x_test", "y_test"), (x_train, y_train, x_test, y_test)):
        assert np.array_equal(got, TINY[key])


def test_idx_labels_count_must_match_images(tmp_path):
    arrays = dict(TINY, y_test=np.arange(4, dtype=np.uint8))
    paths = {key: write(tmp_path / IDX_NAMES[key], gzip.compress(idx_bytes(arrays[key]))) for key in arrays}
    with pytest.raises(DatasetFileError, match=r"t10k-labels-idx1-ubyte.gz.*declares shape \(4,\), expected \(3,\)"):
        read_idx_files(paths, IDX_SPEC)


def test_idx_images_and_labels_files_swapped(tmp_path):
    paths = {key: write(tmp_path / IDX_NAMES[key], gzip.compress(idx_bytes(TINY[key]))) for key in TINY}
    paths["x_train"], paths["y_train"] = paths["y_train"], paths["x_train"]
    with pytest.raises(DatasetFileError, match="train-labels-idx1-ubyte.gz.*magic number"):
        read_idx_files(paths, IDX_SPEC)


# -- npz ---------------------------------------------------------------------
def test_npz_round_trip(tmp_path):
    path = write(tmp_path / "tiny.npz", npz_bytes(**TINY))
    (x_train, y_train), (x_test, y_test) = read_npz(path, NPZ_SPEC)
    assert np.array_equal(x_train, TINY["x_train"]) and np.array_equal(y_test, TINY["y_test"])
    assert x_test.shape == (3, 4, 4) and y_train.dtype == np.uint8


def test_npz_compressed_with_extra_keys_is_fine(tmp_path):
    buf = io.BytesIO()
    np.savez_compressed(buf, note=np.zeros(2), **TINY)
    path = write(tmp_path / "tiny.npz", buf.getvalue())
    assert read_npz(path, NPZ_SPEC)[1][0].shape == (3, 4, 4)


def _object_array():
    return np.array([{"a": 1}] * 5, dtype=object)


@pytest.mark.parametrize("data, message", [
    (lambda: npz_bytes(**{k: v for k, v in TINY.items() if k != "y_test"}), "has no array y_test"),
    (lambda: npz_bytes(**dict(TINY, x_train=TINY["x_train"].astype(np.float32))),
     r"`x_train` is float32 of shape \(5, 4, 4\), expected uint8 of shape \(5, 4, 4\) \(tiny\)"),
    (lambda: npz_bytes(**dict(TINY, x_test=TINY["x_train"])), r"`x_test` is uint8 of shape \(5, 4, 4\)"),
    (lambda: npz_bytes(**dict(TINY, y_train=_object_array())), "pickle"),
    (lambda: npz_bytes(**TINY)[:200], "as an .npz archive"),
    (lambda: b"\x80\x04\x95 not a zip but a pickle", "not a zip archive"),
    (lambda: b"", "not a zip archive"),
])
def test_npz_wrong_content_is_a_clear_error_naming_the_file(tmp_path, data, message):
    path = write(tmp_path / "mnist.npz", data())
    with pytest.raises(DatasetFileError, match=message) as info:
        read_npz(path, NPZ_SPEC)
    assert str(path) in str(info.value)


def test_npz_damaged_member_is_a_clear_error(tmp_path):
    blob = bytearray(npz_bytes(**TINY))
    start = blob.index(b"\x93NUMPY")  # first member's data: a flipped byte there breaks its CRC
    blob[start + 120] ^= 0xFF
    path = write(tmp_path / "mnist.npz", bytes(blob))
    with pytest.raises(DatasetFileError, match="mnist.npz"):
        read_npz(path, NPZ_SPEC)


def test_a_single_npy_is_not_an_archive(tmp_path):
    path = tmp_path / "x.npy"
    np.save(path, TINY["x_train"])
    with pytest.raises(DatasetFileError, match="it is a single .npy array"):
        read_npz(path, NPZ_SPEC)


# -- specs -------------------------------------------------------------------
def test_spec_rejects_malformed_descriptions():
    with pytest.raises(ValueError, match="sha256"):
        RemoteFile("mnist.npz", "ABC")
    with pytest.raises(ValueError, match="plain file name"):
        RemoteFile("../mnist.npz", "0" * 64)
    with pytest.raises(ValueError, match="`files`"):
        DatasetSpec("x", [RemoteFile("a.gz", "0" * 64)])
    with pytest.raises(ValueError, match="image_shape"):
        DatasetSpec("x", [RemoteFile("a.npz", "0" * 64)], image_shape=(28,))
