"""Generated and mutated data files through the loaders: only netbuilder's own error may escape."""

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from netbuilder.train.userdata import DataError, load_data

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SLOW = settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _load(path):
    try:
        load_data(str(path))
    except DataError:
        pass


def _npz_bytes(y) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, x=np.zeros((len(y), 2), np.float32), y=np.asarray(y))
    return buffer.getvalue()


cells = st.one_of(st.sampled_from(["1e308", "-1e39", "nan", "inf", "", "a", "0", "1", "2.5", '"', "1,2"]),
                  st.text(max_size=6))
csv_text = st.lists(st.lists(cells, min_size=1, max_size=4), min_size=1, max_size=6).map(
    lambda rows: "\n".join(",".join(row) for row in rows))


def _mutate(data: bytes, cuts: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for at, value in cuts:
        if out:
            out[at % len(out)] = value
    return bytes(out)


mutations = st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8)
labels = st.lists(st.one_of(st.integers(-2, 5), st.sampled_from([10**8, 10**12])), max_size=6)


def _check_csv(tmp_path, text):
    path = tmp_path / "f.csv"
    path.write_text("a,b,t\n" + text, encoding="utf-8", errors="surrogatepass")
    _load(path)


def _check_npz(tmp_path, y, cuts, truncate):
    data = _mutate(_npz_bytes(y), cuts)
    path = tmp_path / "f.npz"
    path.write_bytes(data[: truncate % (len(data) + 1)] if truncate else data)
    _load(path)


@FUZZ
@given(csv_text)
def test_csv_fuzz(tmp_path, text):
    _check_csv(tmp_path, text)


@FUZZ
@given(labels, mutations, st.integers(0, 2000))
def test_npz_fuzz(tmp_path, y, cuts, truncate):
    _check_npz(tmp_path, y, cuts, truncate)


@FUZZ
@given(mutations, st.integers(0, 300))
def test_image_folder_fuzz(tmp_path, cuts, truncate):
    buffer = io.BytesIO()
    Image.new("L", (4, 4)).save(buffer, format="PNG")
    for name in ("a", "b"):
        (tmp_path / name).mkdir(exist_ok=True)
        data = _mutate(buffer.getvalue(), cuts) if name == "b" else buffer.getvalue()
        (tmp_path / name / "1.png").write_bytes(data[: truncate] if truncate else data)
    _load(tmp_path)


@pytest.mark.slow
@SLOW
@given(csv_text, labels, mutations)
def test_data_fuzz_slow(tmp_path, text, y, cuts):
    _check_csv(tmp_path, text)
    _check_npz(tmp_path, y, cuts, 0)


@pytest.mark.parametrize("y", [[10**8], [10**12]])
def test_a_huge_class_index_is_refused_before_allocating(tmp_path, y):
    path = tmp_path / "big.npz"
    path.write_bytes(_npz_bytes(y))
    with pytest.raises(DataError, match=r"big.npz: y uses class index"):
        load_data(str(path))


def test_bad_npz_files_name_the_file(tmp_path):
    (tmp_path / "cut.npz").write_bytes(_npz_bytes([0, 1])[:40])
    with pytest.raises(DataError, match="cut.npz"):
        load_data(str(tmp_path / "cut.npz"))
    buffer = io.BytesIO()
    np.savez(buffer, x=np.zeros((0, 2), np.float32), y=np.zeros(0, np.int64))
    (tmp_path / "empty.npz").write_bytes(buffer.getvalue())
    with pytest.raises(DataError, match="empty.npz: .*at least one sample"):
        load_data(str(tmp_path / "empty.npz"))
    np.savez(tmp_path / "nan.npz", x=np.zeros((3, 2), np.float32), y=np.full(3, np.nan))
    with pytest.raises(DataError, match="nan.npz: y"):
        load_data(str(tmp_path / "nan.npz"))


def test_a_csv_cell_beyond_float32_names_its_line(tmp_path):
    (tmp_path / "o.csv").write_text("a,t\n1,0\n1e308,1\n2,0\n")
    with pytest.raises(DataError, match=r"o.csv, line 3, column 'a'"):
        load_data(str(tmp_path / "o.csv"))
