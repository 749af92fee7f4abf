from ._em import EMControl, MEFit, me
from ._models import MODELS
