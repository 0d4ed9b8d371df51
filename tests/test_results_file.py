"""A results file that is not one gives one line that says what is wrong in the tool's words (the new-user
trial saw pydantic's "field (top level): Invalid JSON" for an empty file); the wording is shared with the
snapshot reader (auditor.input_files.validation_error_line)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.cli_common import EXIT_BAD_INPUT
from auditor.results import ResultsError, load_results


@pytest.mark.parametrize(("body", "said"), [
    ("", "the file is empty, not a results file"),
    (" \n\t", "the file is empty, not a results file"),
    ("{", "not valid JSON: EOF while parsing an object at line 1 column 1"),
    ('{"tool": ', "not valid JSON: EOF while parsing a value at line 1 column 9"),
    ("[1, 2]", "a results file must be a JSON object"),
    ("null", "a results file must be a JSON object"),
    ("42", "a results file must be a JSON object"),
    ('{"tool": {}}', "field tool.name: Field required (and "),
])
def test_a_results_file_that_is_not_one_says_what_is_wrong(tmp_path, body, said):
    path = tmp_path / "results.json"
    path.write_text(body)
    with pytest.raises(ResultsError) as error:
        load_results(path)
    assert str(error.value).startswith(f"{path}: {said}")
    assert "top level" not in str(error.value) and "Invalid JSON" not in str(error.value)


def test_report_on_an_empty_results_file_is_one_error_line(tmp_path):
    (tmp_path / "results.json").write_text("")
    result = CliRunner().invoke(app, ["report", str(tmp_path / "results.json"), "--out", str(tmp_path / "out")])
    assert result.exit_code == EXIT_BAD_INPUT
    assert result.output.strip() == f"error: {tmp_path / 'results.json'}: the file is empty, not a results file"
    assert not (tmp_path / "out").exists()
