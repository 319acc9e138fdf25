"""The teaching example runs and its printed arithmetic is right (the heavier demos are tested elsewhere)."""

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
