# torchvision's hubconf.py (v0.14), for torch.hub.load(..., source='local') in the vision benchmark: the
# entrypoints are torchvision's own model builders.
dependencies = ["torch"]

from torchvision.models import alexnet, googlenet, inception_v3, mobilenet_v2, mobilenet_v3_large, mobilenet_v3_small  # noqa: F401,E402
from torchvision.models import resnet18, resnet34, resnet50, resnet101, resnet152, resnext50_32x4d, resnext101_32x8d  # noqa: F401,E402
from torchvision.models import resnext101_64x4d, wide_resnet50_2, wide_resnet101_2, squeezenet1_1  # noqa: F401,E402
from torchvision.models import vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn  # noqa: F401,E402
