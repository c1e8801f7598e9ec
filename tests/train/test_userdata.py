"""User data: CSV, .npz and image folders, and load_data's dispatch."""

import numpy as np
import pytest
from PIL import Image

from netbuilder.core.errors import NetbuilderError
from netbuilder.train.userdata import DataError, bad_csv_rows, load_csv, load_data, load_image_folder, load_npz

IRIS_LIKE = """sepal_length,sepal_width,species
5.1,3.5,setosa
7.0,3.2,versicolor
6.3,3.3,virginica
4.9,3.0,setosa
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_categorical_target(tmp_path):
    ds = load_csv(write(tmp_path, "flowers.csv", IRIS_LIKE))
    assert ds.name == "flowers" and ds.kind == "tabular" and ds.task == "classification"
    assert ds.class_names == ["setosa", "versicolor", "virginica"]
    assert ds.x.dtype == np.float32 and ds.input_shape == (2,)
    np.testing.assert_array_equal(ds.y, [0, 1, 2, 0])
    np.testing.assert_allclose(ds.x[1], [7.0, 3.2])


def test_csv_integer_target_is_classification_sorted_numerically(tmp_path):
    rows = "".join(f"{i},{i % 3 * 5}\n" for i in range(12))
    ds = load_csv(write(tmp_path, "n.csv", "a,label\n" + rows))
    assert ds.task == "classification" and ds.class_names == ["0", "5", "10"]
    assert ds.y.tolist()[:3] == [0, 1, 2]


def test_csv_float_target_is_regression(tmp_path):
    ds = load_csv(write(tmp_path, "r.csv", "x,y\n0,0.5\n1,1.5\n2,2.25\n"))
    assert ds.task == "regression" and ds.class_names == []
    assert ds.y.dtype == np.float32 and ds.y.shape == (3, 1) and ds.output_size == 1


def test_csv_target_and_features_by_name_or_index_with_sniffed_delimiter(tmp_path):
    path = write(tmp_path, "semi.csv", "a;b;c\n1;2;3\n4;5;6\n7;8;9\n")
    ds = load_csv(path, target="a", features=["c"], task="regression")
    np.testing.assert_allclose(ds.x[:, 0], [3, 6, 9])
    np.testing.assert_allclose(ds.y[:, 0], [1, 4, 7])
    assert load_csv(path, target=1, task="regression").input_shape == (2,)


def test_csv_bad_value_names_file_line_and_column(tmp_path):
    lines = IRIS_LIKE.splitlines()
    lines.insert(3, "6.1,abc,setosa")  # the 4th line of the file
    with pytest.raises(DataError) as info:
        load_csv(write(tmp_path, "iris.csv", "\n".join(lines) + "\n"))
    assert str(info.value) == "iris.csv, line 4, column 'sepal_width': expected a number, got \"abc\""
    assert isinstance(info.value, NetbuilderError)


def test_csv_wrong_field_count_and_empty_cell(tmp_path):
    with pytest.raises(DataError, match=r"short\.csv, line 3: expected 3 fields"):
        load_csv(write(tmp_path, "short.csv", "a,b,c\n1,2,x\n1,2\n"))
    with pytest.raises(DataError, match=r"gap\.csv, line 3, column 'b': empty cell"):
        load_csv(write(tmp_path, "gap.csv", "a,b,c\n1,2,x\n1,,y\n"))


def test_csv_line_numbers_count_blank_lines(tmp_path):
    with pytest.raises(DataError, match="line 5, column 'a'"):
        load_csv(write(tmp_path, "blank.csv", "a,b\n1,0\n\n2,1\nzz,0\n3,1\n4,0\n"))


def test_csv_missing_target_column_is_named(tmp_path):
    with pytest.raises(DataError, match=r"no column 'label'; columns are: sepal_length, sepal_width, species"):
        load_csv(write(tmp_path, "f.csv", IRIS_LIKE), target="label")
    with pytest.raises(DataError, match="no column 'petal'"):
        load_csv(write(tmp_path, "f.csv", IRIS_LIKE), features=["petal"])


def test_csv_text_feature_column_is_refused_by_name(tmp_path):
    text = "colour,size,label\nred,1,0\nblue,2,1\nred,3,0\n"
    with pytest.raises(DataError, match="column 'colour': holds text"):
        load_csv(write(tmp_path, "c.csv", text))
    assert load_csv(write(tmp_path, "c.csv", text), features=["size"]).input_shape == (1,)


def test_csv_needs_a_header(tmp_path):
    with pytest.raises(DataError, match="header"):
        load_csv(write(tmp_path, "h.csv", "1,2\n3,4\n"))
    with pytest.raises(DataError, match="header"):
        load_csv(write(tmp_path, "e.csv", ""))


def test_npz_happy_path_and_uppercase_names(tmp_path):
    x = np.arange(24, dtype=np.float64).reshape(6, 4)
    np.savez(tmp_path / "d.npz", X=x, Y=np.array([0, 1, 2, 0, 1, 2]), class_names=np.array(["a", "b", "c"]))
    ds = load_npz(tmp_path / "d.npz")
    assert ds.task == "classification" and ds.class_names == ["a", "b", "c"]
    assert ds.x.dtype == np.float32 and ds.input_shape == (4,) and ds.kind == "tabular"


def test_npz_tokens_images_and_regression(tmp_path):
    np.savez(tmp_path / "tok.npz", x=np.ones((5, 7), np.int32), y=np.array([0, 1, 0, 1, 1]))
    tokens = load_npz(tmp_path / "tok.npz")
    assert tokens.dtype == "int64" and tokens.kind == "sequence" and tokens.class_names == ["0", "1"]
    np.savez(tmp_path / "img.npz", x=np.zeros((3, 1, 4, 4)), y=np.array([0.5, 1.0, 2.0]))
    images = load_npz(tmp_path / "img.npz")
    assert images.kind == "image" and images.task == "regression" and images.y.shape == (3, 1)


def test_npz_missing_array_is_named(tmp_path):
    np.savez(tmp_path / "only_x.npz", x=np.zeros((3, 2)), labels=np.zeros(3))
    with pytest.raises(DataError, match=r"only_x\.npz: no array 'y' \(or 'Y'\); the file holds: x, labels"):
        load_npz(tmp_path / "only_x.npz")


def test_npz_refuses_pickles_and_garbage(tmp_path):
    np.savez(tmp_path / "obj.npz", x=np.array([{"a": 1}], dtype=object), y=np.zeros(1))
    with pytest.raises(DataError, match=r"obj\.npz: cannot read"):
        load_npz(tmp_path / "obj.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip file at all")
    with pytest.raises(DataError, match=r"junk\.npz"):
        load_npz(tmp_path / "junk.npz")


def test_npz_length_mismatch(tmp_path):
    np.savez(tmp_path / "m.npz", x=np.zeros((3, 2)), y=np.zeros(4, np.int64))
    with pytest.raises(DataError, match="3 samples in x but 4"):
        load_npz(tmp_path / "m.npz")


def make_image_folder(root, colours=("cats", "dogs"), per_class=3):
    for label, name in enumerate(colours):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            Image.new("RGB", (10 + i, 12), (255 * label, 0, 0)).save(root / name / f"{i}.png")
    (root / "cats" / "notes.txt").write_text("not an image, skipped")
    return root


def test_image_folder_grayscale_and_colour(tmp_path):
    root = make_image_folder(tmp_path / "pets")
    ds = load_image_folder(root, image_size=(6, 5))
    assert ds.kind == "image" and ds.class_names == ["cats", "dogs"] and len(ds) == 6
    assert ds.x.shape == (6, 1, 6, 5) and ds.x.dtype == np.float32
    assert ds.y.tolist() == [0, 0, 0, 1, 1, 1]
    assert 0.0 <= ds.x.min() and ds.x.max() <= 1.0
    colour = load_image_folder(root, image_size=(4, 4), grayscale=False)
    assert colour.x.shape == (6, 3, 4, 4)
    np.testing.assert_allclose(colour.x[3, 0], 1.0)  # a red dog: red channel full


def test_image_folder_corrupt_image_is_named(tmp_path):
    root = make_image_folder(tmp_path / "pets")
    (root / "dogs" / "broken.png").write_bytes(b"\x89PNG garbage")
    with pytest.raises(DataError, match="pets/dogs/broken.png: cannot read image"):
        load_image_folder(root)


def test_image_folder_without_classes_or_images(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="found 0 class folder"):
        load_image_folder(tmp_path / "empty")
    (tmp_path / "some" / "a").mkdir(parents=True)
    (tmp_path / "some" / "b").mkdir()
    with pytest.raises(DataError, match="some/a: no images"):
        load_image_folder(tmp_path / "some")


def test_load_data_dispatches(tmp_path):
    assert load_data("iris").name == "iris"
    assert load_data("moons", seed=2).name == "moons"
    write(tmp_path, "f.csv", IRIS_LIKE)
    assert load_data("f.csv", base_dir=tmp_path).class_names == ["setosa", "versicolor", "virginica"]
    np.savez(tmp_path / "d.npz", x=np.zeros((2, 3)), y=np.array([0, 1]))
    assert load_data(str(tmp_path / "d.npz")).input_shape == (3,)
    make_image_folder(tmp_path / "pets")
    assert load_data("pets", base_dir=tmp_path, image_size=(8, 8)).x.shape == (6, 1, 8, 8)


def test_load_data_errors(tmp_path):
    with pytest.raises(DataError, match="no built-in data set or file named 'nope.csv'.*iris"):
        load_data("nope.csv", base_dir=tmp_path)
    np.save(tmp_path / "x.npy", np.zeros(3))
    with pytest.raises(DataError, match="numpy.savez"):
        load_data("x.npy", base_dir=tmp_path)
    with pytest.raises(DataError, match="option 'image_size' does not apply"):
        load_data("iris", image_size=(8, 8))


def test_bad_csv_rows_are_counted_and_can_be_skipped(tmp_path):
    path = write(tmp_path, "one_bad.csv", "a,b,label\n" + "".join(f"{i},{i + 1},{i % 2}\n" for i in range(10))
                 + "1,oops,0\n2,3\n")
    assert bad_csv_rows(path) == ([12, 13], 12)
    with pytest.raises(DataError, match="line 13: expected 3 fields"):
        load_csv(path)
    ds = load_csv(path, skip_bad_rows=True)
    assert len(ds) == 10 and "(2 bad rows skipped)" in ds.description
