"""sl.interop.to_torch / from_torch against real PyTorch: same predictions, same gradients, exact weights."""
import numpy as np
import pytest

import slimlayers as sl
from conftest import optional
from interop_cases import CASES, FORMATS, IDS, Custom, Subclassed, branching_model, build, randomise

torch = optional("torch")
nn = torch.nn
L = sl.layers


def run(module, x):
    with torch.no_grad():
        return module(torch.from_numpy(x)).numpy()


@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_to_torch_predicts_like_the_model(case, data_format):
    model, x = build(case, data_format)
    module = sl.interop.to_torch(model).eval()
    np.testing.assert_allclose(run(module, x), model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_channels_last_model_transposes_only_at_its_ends():
    model, _ = build(CASES[0], "channels_last")
    model.add(L.Conv2DTranspose(2, 3, strides=2, padding="same"))
    names = [type(m).__name__ for m in sl.interop.to_torch(model)]
    assert names == ["Permute", "Conv2d", "Sequential", "Permute"]  # Sequential: ConvTranspose2d + Crop2d


def test_functional_graph_with_shared_layer_add_and_concatenate():
    model, x = branching_model()
    module = sl.interop.to_torch(model).eval()
    assert type(module).__name__ == "GraphModule"
    np.testing.assert_allclose(run(module, x), model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_free_spatial_size_pads_at_run_time():
    inp = L.Input((None, None, 2))
    y = L.Conv2D(3, 3, strides=2, padding="same")(inp)
    y = L.MaxPooling2D(3, 2, padding="same")(y)
    y = L.AveragePooling2D(3, 2, padding="same")(y)
    model = sl.models.Model(inp, L.Conv2DTranspose(2, 3, strides=2, padding="same")(y))
    randomise(model)
    module = sl.interop.to_torch(model).eval()
    for hw in [(11, 13), (16, 9)]:
        x = np.random.default_rng(0).standard_normal((1, *hw, 2)).astype("float32")
        np.testing.assert_allclose(run(module, x), model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_float64_model_gives_float64_module():
    model = sl.models.Sequential([L.Input((5, 5, 2), dtype="float64"), L.Conv2D(3, 3, dtype="float64")])
    module = sl.interop.to_torch(model)
    assert module[1].weight.dtype == torch.float64
    x = np.random.default_rng(0).standard_normal((1, 5, 5, 2))
    np.testing.assert_allclose(run(module, x), model.predict(x, verbose=0), rtol=1e-12)


def test_gradients_and_batch_norm_training_match():
    """Training continues in PyTorch from the same place: same loss gradients, same BN momentum."""
    model = sl.models.Sequential([L.Input((6, 5, 2)), L.Conv2D(4, 3, strides=2, padding="same"),
                                  L.BatchNormalization(momentum=0.8), L.Activation("relu"), L.Flatten(), L.Dense(1)])
    randomise(model)
    module = sl.interop.to_torch(model).train()
    x = np.random.default_rng(1).standard_normal((4, 6, 5, 2)).astype("float32")
    with sl.GradientTape() as tape:
        loss = (model(x, training=True) ** 2).mean()
    grads = tape.gradient(loss, model.trainable_weights)
    (module(torch.from_numpy(x)) ** 2).mean().backward()
    conv = next(m for m in module.modules() if isinstance(m, nn.Conv2d))
    dense = next(m for m in module.modules() if isinstance(m, nn.Linear))
    np.testing.assert_allclose(conv.weight.grad.numpy().transpose(2, 3, 1, 0), grads[0], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(dense.weight.grad.numpy().T, grads[-2], rtol=1e-4, atol=1e-6)
    bn = next(m for m in module.modules() if isinstance(m, nn.BatchNorm2d))
    np.testing.assert_allclose(bn.running_mean.numpy(), model.layers[1].moving_mean.numpy(), rtol=1e-5)


def test_frozen_batch_norm_stays_frozen_in_train_mode():
    model = sl.models.Sequential([L.Input((3, 3, 2)), L.BatchNormalization()])
    randomise(model)
    model.layers[0].trainable = False
    module = sl.interop.to_torch(model).train()
    x = np.random.default_rng(0).standard_normal((4, 3, 3, 2)).astype("float32")
    np.testing.assert_allclose(run(module, x), model(x, training=True).numpy(), rtol=1e-5, atol=1e-6)
    assert not any(p.requires_grad for p in module.parameters())


def test_to_torch_refusals_name_the_layer():
    with pytest.raises(ValueError, match=r"layer 'drop' \(Dropout\): noise_shape"):
        sl.interop.to_torch(sl.models.Sequential([L.Input((4,)), L.Dropout(0.5, noise_shape=(None, 1), name="drop")]))
    with pytest.raises(ValueError, match=r"layer 'mine' \(Custom\)"):
        sl.interop.to_torch(sl.models.Sequential([L.Input((4,)), Custom(name="mine")]))
    with pytest.raises(ValueError, match="subclassed model"):
        sl.interop.to_torch(Subclassed())
    inner = sl.models.Sequential([L.Input((4,)), L.Dense(2)], name="inner")
    with pytest.raises(ValueError, match=r"layer 'inner' \(Sequential\): nested models"):
        sl.interop.to_torch(sl.models.Sequential([L.Input((4,)), inner]))
    with pytest.raises(ValueError, match=r"layer 'act' .*activation"):
        sl.interop.to_torch(sl.models.Sequential([L.Input((4,)), L.Dense(2, activation=lambda t: t, name="act")]))


# -- from_torch ----------------------------------------------------------------------------------------
def torch_net():
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8, momentum=0.2), nn.ReLU(),
        nn.Conv2d(8, 8, 3, padding=1, groups=2), nn.MaxPool2d(2),
        nn.Conv2d(8, 8, 3, stride=2, padding=2),  # symmetric 2 is not TF 'same' here: ZeroPadding2D + valid
        nn.Sequential(nn.Conv2d(8, 8, 3, padding=2, dilation=2), nn.Tanh()),
        nn.ConvTranspose2d(8, 6, 3, stride=2, padding=1, output_padding=1),  # the famous one-pixel shift
        nn.ConvTranspose2d(6, 4, 4, stride=2, padding=1),  # equals Keras 'same'
        nn.ConvTranspose2d(4, 4, 3, stride=2, padding=2, output_padding=1, groups=2),
        nn.AvgPool2d(3, stride=2, padding=1), nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
        nn.MaxPool2d(3, stride=1, padding=1), nn.ZeroPad2d((1, 0, 2, 1)),
        nn.Upsample(scale_factor=2), nn.Upsample(scale_factor=(1, 2), mode="bilinear"), nn.LeakyReLU(0.1),
        nn.GELU(), nn.SiLU(), nn.Hardswish(), nn.Dropout(0.2), nn.Flatten(), nn.Linear(6912, 5),
        nn.BatchNorm1d(5), nn.Softmax(dim=1))
    with torch.no_grad():
        for bn in (net[1], net[-2]):
            bn.running_mean.uniform_(-1, 1)
            bn.running_var.uniform_(0.5, 2)
            bn.weight.uniform_(0.5, 2)
    return net.eval()


def test_from_torch_predicts_like_the_module_and_round_trips_exactly():
    net = torch_net()
    x = np.random.default_rng(0).standard_normal((2, 3, 19, 15)).astype("float32")
    model = sl.interop.from_torch(net, (3, 19, 15))
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds[:3] == ["Conv2D", "BatchNormalization", "Activation"]
    assert model.layers[0].padding == "same" and "ZeroPadding2D" in kinds and "Cropping2D" in kinds
    assert model.layers[1].momentum == pytest.approx(0.8)
    np.testing.assert_allclose(model.predict(x, verbose=0), run(net, x), rtol=1e-5, atol=1e-5)

    again = sl.interop.from_torch(sl.interop.to_torch(model).eval(), (3, 19, 15))
    assert [type(layer).__name__ for layer in again.layers] == kinds
    for a, b in zip(again.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))


def test_from_torch_mlp_and_float64():
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)).double().eval()
    model = sl.interop.from_torch(net, (4,))
    x = np.random.default_rng(0).standard_normal((5, 4))
    assert model.layers[0].dtype == np.float64
    np.testing.assert_allclose(model.predict(x, verbose=0), run(net, x), rtol=1e-12)


@pytest.mark.parametrize("module,match", [
    (nn.Conv2d(2, 2, 3, padding=1, padding_mode="reflect"), "padding_mode='reflect'"),
    (nn.MaxPool2d(2, ceil_mode=True), "ceil_mode"),
    (nn.MaxPool2d(3, stride=2, padding=1), "not TensorFlow's 'same' padding"),
    (nn.BatchNorm2d(2, momentum=None), "momentum=None"),
    (nn.GELU(approximate="tanh"), "only the default form"),
    (nn.Upsample(scale_factor=1.5), "integer scale_factor"),
    (nn.Conv2d(2, 2, 3, stride=2, dilation=2), "stride > 1 together with dilation > 1"),
    (nn.ConvTranspose2d(2, 2, 3, padding=0, output_padding=1, dilation=2), "output_padding"),
    (nn.PixelShuffle(2), "no slimlayers layer"),
])
def test_from_torch_refusals_name_the_module(module, match):
    with pytest.raises(ValueError, match=rf"module '1' \({type(module).__name__}\): .*{match}"):
        sl.interop.from_torch(nn.Sequential(nn.Identity(), module), (2, 8, 8))


def test_from_torch_bad_arguments():
    with pytest.raises(TypeError, match="torch.nn.Sequential"):
        sl.interop.from_torch(nn.Conv2d(1, 1, 1), (1, 4, 4))
    with pytest.raises(ValueError, match="`input_shape`"):
        sl.interop.from_torch(nn.Sequential(nn.Conv2d(1, 1, 1)), (1, 0, 4))
