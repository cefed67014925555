"""The architecture arguments every model file stores (torch-free, shared by runtime and learning)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .layout import CodeLayout

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass
class ModelConfig:
    """Architecture arguments; stored verbatim in every checkpoint."""

    nbits: int = 256
    n_attrs: int = 57
    bits_per_attr: int = 2
    backbone: str = "mobilenet_v2"
    input_hw: tuple[int, int] = (128, 64)
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    dropout: float = 0.2
    attr_step: float = 2.0  # logit distance between thermometer thresholds
    # indices of backbone blocks whose output passes through instance normalisation on half
    # its channels (IBN-a style, Pan et al. 2018): removes per-image contrast and colour cast
    # statistics early, which is what differs most between cameras. () = plain backbone.
    ibn_after: tuple[int, ...] = ()
    # horizontal stripes of the last feature map pooled beside the global pool (0 = global only).
    # With 2 the pooled feature is [global, upper half, lower half]: upper-body attributes can
    # read the upper stripe alone instead of a whole-body average (region pooling).
    stripes: int = 0

    def __post_init__(self) -> None:
        self.input_hw = tuple(int(x) for x in self.input_hw)
        self.mean = tuple(float(x) for x in self.mean)
        self.std = tuple(float(x) for x in self.std)
        self.ibn_after = tuple(int(x) for x in self.ibn_after)
        self.stripes = int(self.stripes)
        if self.stripes < 0 or self.stripes == 1:
            raise ValueError(f"stripes must be 0 (global pool only) or >= 2, got {self.stripes}")
        CodeLayout(self.nbits, self.n_attrs, self.bits_per_attr)  # validates

    @property
    def layout(self) -> CodeLayout:
        return CodeLayout(self.nbits, self.n_attrs, self.bits_per_attr)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["input_hw"], d["mean"], d["std"] = list(self.input_hw), list(self.mean), list(self.std)
        d["ibn_after"] = list(self.ibn_after)
        if not self.ibn_after:
            del d["ibn_after"]  # keeps the config, and so the model hash, of plain models unchanged
        if not self.stripes:
            del d["stripes"]  # likewise for models without region pooling
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown model arguments {sorted(unknown)}")
        return cls(**d)
