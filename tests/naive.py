"""Slow, obviously-correct NHWC convolution references (imports nothing from slimlayers).

Everything is computed in float64 with explicit loops over kernel taps and
groups; only the (batch, row, column) positions are handled by numpy slicing.

Conventions (same as slimlayers.kernels):
    x  [N, H, W, Cin]    w [KH, KW, Cin // groups, Cout]    y [N, OH, OW, Cout]
    pads = ((top, bottom), (left, right)), explicit zero padding
    y[n, oy, ox, g*Cog + co] = sum_{a, b, c} xpad[n, oy*sh + a*dh, ox*sw + b*dw, g*Cg + c]
                                            * w[a, b, c, g*Cog + co]
"""
import numpy as np


def output_length(i, k, s, d, p_before, p_after):
    """floor((i + pb + pa - dk) / s) + 1 with dk = d*(k-1) + 1 (may be <= 0)."""
    dk = d * (k - 1) + 1
    return (i + p_before + p_after - dk) // s + 1


def _tap_view(xpad, a, b, oh, ow, strides, dilations):
    """xpad[:, oy*sh + a*dh, ox*sw + b*dw, :] for all oy < oh, ox < ow."""
    sh, sw = strides
    dh, dw = dilations
    return xpad[:, a * dh: a * dh + sh * (oh - 1) + 1: sh,
                b * dw: b * dw + sw * (ow - 1) + 1: sw, :]


def naive_conv2d(x, w, strides, pads, dilations, groups):
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    n, h, wd, cin = x.shape
    kh, kw, cg, cout = w.shape
    assert cg * groups == cin and cout % groups == 0
    cog = cout // groups
    (pt, pb), (pl, pr) = pads
    oh = output_length(h, kh, strides[0], dilations[0], pt, pb)
    ow = output_length(wd, kw, strides[1], dilations[1], pl, pr)
    assert oh >= 0 and ow >= 0
    xpad = np.zeros((n, h + pt + pb, wd + pl + pr, cin))
    xpad[:, pt:pt + h, pl:pl + wd, :] = x
    y = np.zeros((n, oh, ow, cout))
    if oh == 0 or ow == 0:
        return y
    for a in range(kh):
        for b in range(kw):
            patch = _tap_view(xpad, a, b, oh, ow, strides, dilations)
            for g in range(groups):
                xi = patch[..., g * cg:(g + 1) * cg]
                wi = w[a, b, :, g * cog:(g + 1) * cog]
                y[..., g * cog:(g + 1) * cog] += xi @ wi
    return y


def naive_conv2d_backprop_input(dy, w, input_hw, strides, pads, dilations, groups):
    """Gradient of sum(naive_conv2d(x) * dy) w.r.t. x of spatial size input_hw.

    Scatter every output pixel's contribution into a padded buffer, then crop.
    """
    dy = np.asarray(dy, np.float64)
    w = np.asarray(w, np.float64)
    n, oh, ow, cout = dy.shape
    kh, kw, cg, _ = w.shape
    cog = cout // groups
    h, wd = input_hw
    sh, sw = strides
    dh, dw = dilations
    (pt, _), (pl, _) = pads
    # big enough for every tap position and for the cropped window
    ph = max(pt + h, (oh - 1) * sh + (kh - 1) * dh + 1)
    pw = max(pl + wd, (ow - 1) * sw + (kw - 1) * dw + 1)
    dxpad = np.zeros((n, ph, pw, cg * groups))
    if oh > 0 and ow > 0:
        for a in range(kh):
            for b in range(kw):
                target = _tap_view(dxpad, a, b, oh, ow, strides, dilations)
                for g in range(groups):
                    dyi = dy[..., g * cog:(g + 1) * cog]
                    wi = w[a, b, :, g * cog:(g + 1) * cog]
                    target[..., g * cg:(g + 1) * cg] += dyi @ wi.T
    return dxpad[:, pt:pt + h, pl:pl + wd, :].copy()


def naive_conv2d_backprop_filter(x, dy, kernel_hw, strides, pads, dilations, groups):
    """Gradient of sum(naive_conv2d(x, w) * dy) w.r.t. w of spatial size kernel_hw."""
    x = np.asarray(x, np.float64)
    dy = np.asarray(dy, np.float64)
    n, h, wd, cin = x.shape
    _, oh, ow, cout = dy.shape
    kh, kw = kernel_hw
    cg = cin // groups
    cog = cout // groups
    sh, sw = strides
    dh, dw = dilations
    (pt, _), (pl, _) = pads
    ph = max(pt + h, (oh - 1) * sh + (kh - 1) * dh + 1)
    pw = max(pl + wd, (ow - 1) * sw + (kw - 1) * dw + 1)
    xpad = np.zeros((n, ph, pw, cin))
    xpad[:, pt:pt + h, pl:pl + wd, :] = x
    dw_ = np.zeros((kh, kw, cg, cout))
    if oh == 0 or ow == 0:
        return dw_
    for a in range(kh):
        for b in range(kw):
            patch = _tap_view(xpad, a, b, oh, ow, strides, dilations)
            for g in range(groups):
                xi = patch[..., g * cg:(g + 1) * cg].reshape(-1, cg)
                dyi = dy[..., g * cog:(g + 1) * cog].reshape(-1, cog)
                dw_[a, b, :, g * cog:(g + 1) * cog] = xi.T @ dyi
    return dw_
