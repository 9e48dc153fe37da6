#!/usr/bin/env bash
# Makes the sandbox's sample stories: real speech, 8 kHz mono 16-bit WAV like a phone line.
# Run once by hand (needs Debian's espeak-ng and sox); the WAV files are committed, so neither tool is needed to build or test.
set -euo pipefail
cd "$(dirname "$0")"
say() { # name voice words-per-minute text
  espeak-ng -v "$2" -s "$3" -w "/tmp/$1.raw.wav" "$4"
  sox "/tmp/$1.raw.wav" -r 8000 -c 1 -b 16 "$1.wav" norm -3
  rm "/tmp/$1.raw.wav"
  printf '%s: %ss\n' "$1" "$(soxi -D "$1.wav")"
}
say story-1 en-us+m3 140 "When I was a boy, my father kept bees behind the barn. Every summer he would put on that old white hat with the net, and I would watch from the kitchen window. One August the whole swarm left the hive and settled in the apple tree. He climbed the ladder with a cardboard box, shook the branch once, and there they were, humming in the box like a little engine. My mother said he was the bravest man in the county. He said bees only sting people who are in a hurry."
say story-2 en-us+f2 145 "Your grandmother and I met at a dance in the church hall in nineteen sixty two. I could not dance at all. She taught me the box step right there in the corner, counting one two three four under her breath so nobody would notice. We were married the next spring. For fifty years, whenever we heard that song on the radio, she would stop whatever she was doing, hold out her hand, and count one two three four, just loud enough for me to hear."
say story-3 en-gb+m1 140 "The winter of the big snow, the road to town was closed for nine days. We ran out of bread on the third day, so my sister and I learned to bake it ourselves from the recipe card taped inside the cupboard door. The first loaf was as hard as a brick. The second one was better. By the time the plough came through, the neighbours were trading us eggs and milk for bread, and we felt like the richest children in the valley."
# MP3 copies for `Recordings/RE….mp3`: no Xing/Info tag and no bit reservoir, so the sandbox can cut them at any frame boundary.
for f in story-1 story-2 story-3; do lame --quiet -t --nores -m m -b 16 "$f.wav" "$f.mp3"; done
