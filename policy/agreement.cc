#include "policy/agreement.h"
