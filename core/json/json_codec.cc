// JSON codecs for commands, events and the write model.
#include "core/json/json_codec.h"
