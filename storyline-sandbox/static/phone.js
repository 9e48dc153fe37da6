// The sandbox phone: follows what the sandbox says the phone shows, speaks and plays it, records the microphone
// during <Record> and hands the sandbox an 8 kHz mono 16-bit WAV, as a phone line would carry it.
'use strict';

(function () {
  var RATE = 8000;
  // Below this RMS a block counts as silence for <Record timeout>.
  var QUIET = 0.01;

  function el(id) { return document.getElementById(id); }
  var phone = el('phone');
  var player = el('player');
  var shown = { seq: -1, state: 'idle' };
  var finished = {};
  var mic = null;
  var take = null;
  var speechTimer = null;
  var clock = null;

  function post(path, body, type) {
    var headers = { 'X-Sandbox-Phone': '1' };
    if (type) headers['Content-Type'] = type;
    // keepalive lets a hang-up leave with a closing tab; it only carries small bodies.
    return fetch(path, { method: 'POST', headers: headers, body: body, keepalive: !body });
  }

  function tell(heading, detail) {
    el('status').textContent = heading;
    el('detail').textContent = detail || '';
  }

  function problem(text) { el('problem').textContent = text; }

  function onCall() { return ['idle', 'ended', 'ringing'].indexOf(shown.state) < 0; }

  function done(seq) {
    if (finished[seq] || seq !== shown.seq) return;
    finished[seq] = true;
    post('/phone/done/' + seq).catch(function () {});
  }

  function stopPlaying() {
    clearTimeout(speechTimer);
    if (window.speechSynthesis) window.speechSynthesis.cancel();
    player.onended = null;
    player.onerror = null;
    player.pause();
  }

  function speak(s) {
    var loops = s.loops || 1;
    var words = s.text.split(/\s+/).length;
    // Without a voice (headless browsers, some systems) speech never ends: go on after a reading's time.
    speechTimer = setTimeout(function () { done(s.seq); }, (words * 0.5 + 3) * 1000 * loops);
    if (!window.speechSynthesis || !window.SpeechSynthesisUtterance) return;
    var left = loops;
    (function once() {
      var u = new SpeechSynthesisUtterance(s.text);
      if (s.language) u.lang = s.language;
      u.onend = function () { if (--left > 0) once(); else done(s.seq); };
      u.onerror = function () { done(s.seq); };
      window.speechSynthesis.speak(u);
    })();
  }

  function play(s) {
    var left = s.loops || 1;
    function again() { player.play().catch(function () { done(s.seq); }); }
    player.onended = function () {
      if (--left > 0) { player.currentTime = 0; again(); } else done(s.seq);
    };
    player.onerror = function () { problem('The message could not be played.'); done(s.seq); };
    player.src = s.url;
    again();
  }

  // The microphone, opened on Answer: the click is what lets the page start audio.
  function openMic() {
    if (mic) return Promise.resolve(mic);
    if (!navigator.mediaDevices || !window.AudioWorkletNode) {
      return Promise.reject(new Error('this page needs a browser with Web Audio, opened from localhost or HTTPS'));
    }
    var ctx = new AudioContext();
    var constraints = { echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: 1 };
    return navigator.mediaDevices.getUserMedia({ audio: constraints }).then(function (stream) {
      return ctx.audioWorklet.addModule('/phone/capture.js').then(function () {
        var node = new AudioWorkletNode(ctx, 'capture');
        var sink = ctx.createGain();
        sink.gain.value = 0;
        ctx.createMediaStreamSource(stream).connect(node);
        // Connected to the output so the browser keeps pulling audio through the tap.
        node.connect(sink);
        sink.connect(ctx.destination);
        node.port.onmessage = function (e) { heard(e.data); };
        mic = { ctx: ctx, stream: stream };
        return ctx.resume();
      });
    });
  }

  function closeMic() {
    if (!mic) return;
    mic.stream.getTracks().forEach(function (t) { t.stop(); });
    mic.ctx.close();
    mic = null;
    el('level').value = 0;
  }

  // Averages the input over each 8 kHz sample period (a box filter: enough against aliasing for speech).
  function Decimator(rate) {
    this.step = rate / RATE;
    this.sum = 0;
    this.count = 0;
    this.pos = 0;
    this.blocks = [];
    this.block = new Int16Array(4096);
    this.filled = 0;
  }
  Decimator.prototype.push = function (input) {
    for (var i = 0; i < input.length; i++) {
      this.sum += input[i];
      this.count++;
      this.pos++;
      if (this.pos >= this.step) {
        this.pos -= this.step;
        var v = Math.max(-1, Math.min(1, this.sum / this.count));
        this.sum = 0;
        this.count = 0;
        this.block[this.filled++] = Math.round(v * 32767);
        if (this.filled === this.block.length) {
          this.blocks.push(this.block);
          this.block = new Int16Array(4096);
          this.filled = 0;
        }
      }
    }
  };
  Decimator.prototype.samples = function () {
    return this.blocks.concat([this.block.subarray(0, this.filled)]);
  };

  function wav(blocks) {
    var bytes = blocks.reduce(function (n, b) { return n + b.byteLength; }, 0);
    var h = new DataView(new ArrayBuffer(44));
    function text(at, s) { for (var i = 0; i < s.length; i++) h.setUint8(at + i, s.charCodeAt(i)); }
    text(0, 'RIFF');
    h.setUint32(4, 36 + bytes, true);
    text(8, 'WAVE');
    text(12, 'fmt ');
    h.setUint32(16, 16, true);
    h.setUint16(20, 1, true);
    h.setUint16(22, 1, true);
    h.setUint32(24, RATE, true);
    h.setUint32(28, RATE * 2, true);
    h.setUint16(32, 2, true);
    h.setUint16(34, 16, true);
    text(36, 'data');
    h.setUint32(40, bytes, true);
    return new Blob([h.buffer].concat(blocks), { type: 'audio/wav' });
  }

  function heard(block) {
    var sum = 0;
    for (var i = 0; i < block.length; i++) sum += block[i] * block[i];
    var rms = Math.sqrt(sum / block.length);
    el('level').value = Math.min(1, rms * 4);
    if (!take || !take.capturing) return;
    take.decimator.push(block);
    var secs = block.length / mic.ctx.sampleRate;
    take.elapsed += secs;
    take.quiet = rms < QUIET ? take.quiet + secs : 0;
    if (take.elapsed >= take.maxLength || (take.timeout > 0 && take.quiet >= take.timeout)) finish('');
  }

  function showClock() {
    if (!take) return;
    var s = Math.floor(take.elapsed);
    el('timer').textContent = 'Recording ' + Math.floor(s / 60) + ':' + ('0' + (s % 60)).slice(-2);
  }

  function beep(then) {
    var ctx = mic.ctx;
    var tone = ctx.createOscillator();
    var gain = ctx.createGain();
    tone.frequency.value = 1000;
    gain.gain.value = 0.2;
    tone.connect(gain);
    gain.connect(ctx.destination);
    tone.onended = then;
    tone.start();
    tone.stop(ctx.currentTime + 0.4);
  }

  function record(s) {
    take = {
      seq: s.seq, capturing: false, elapsed: 0, quiet: 0, maxLength: s.maxLength, timeout: s.timeout,
      finishOnKey: s.finishOnKey, decimator: new Decimator(mic ? mic.ctx.sampleRate : RATE)
    };
    var mine = take;
    function start() {
      if (take !== mine) return;
      mine.capturing = true;
      phone.setAttribute('data-recording', 'on');
      clock = setInterval(showClock, 250);
    }
    if (!mic) {
      // Nothing to hear: the recording ends as silence does.
      setTimeout(function () { if (take === mine) finish(''); }, 1000 * (s.timeout || s.maxLength));
      start();
    } else if (s.playBeep) {
      beep(start);
    } else {
      start();
    }
  }

  function finish(digits) {
    if (!take) return;
    var t = take;
    take = null;
    clearInterval(clock);
    phone.removeAttribute('data-recording');
    tell('Sending your recording…');
    post('/phone/recording/' + t.seq + '?digits=' + encodeURIComponent(digits), wav(t.decimator.samples()), 'audio/wav')
      .then(function (r) {
        if (!r.ok && r.status !== 409) problem('The sandbox refused the recording (' + r.status + ').');
      })
      .catch(function () { problem('The recording could not be sent.'); });
  }

  function endLocally() {
    stopPlaying();
    take = null;
    clearInterval(clock);
    phone.removeAttribute('data-recording');
    closeMic();
  }

  function show(s) {
    if (s.seq === shown.seq) return;
    shown = s;
    phone.setAttribute('data-state', s.state);
    phone.setAttribute('data-seq', s.seq);
    stopPlaying();
    // The sandbox moved on (the recording took too long, or the call ended): this take is void.
    if (take && take.seq !== s.seq) {
      take = null;
      clearInterval(clock);
      phone.removeAttribute('data-recording');
    }
    el('answer').disabled = s.state !== 'ringing';
    el('decline').disabled = s.state !== 'ringing';
    el('hangup').disabled = !onCall();
    el('timer').textContent = '';
    switch (s.state) {
      case 'ringing':
        problem('');
        tell('Incoming call', s.from + ' is calling.');
        break;
      case 'connected': tell('On a call', 'Listening. Use the keypad if you are asked to.'); break;
      case 'say': tell('On a call', 'The caller says: “' + s.text + '”'); speak(s); break;
      case 'play': tell('On a call', 'The caller plays a message.'); play(s); break;
      case 'record':
        tell('Recording', 'Speak now. To finish, press ' + (s.finishOnKey || 'a key').split('').join(' or ') +
          ', or hang up.');
        record(s);
        break;
      case 'ended': tell('Call ended', s.reason); endLocally(); break;
      default: tell('No call', 'Waiting for Storyline to call.');
    }
  }

  function press(key) {
    if (take && take.finishOnKey.indexOf(key) >= 0) { finish(key); return; }
    if (onCall()) post('/phone/key?key=' + encodeURIComponent(key)).catch(function () {});
  }

  el('answer').addEventListener('click', function () {
    el('answer').disabled = true;
    el('decline').disabled = true;
    tell('Connecting…');
    openMic()
      .catch(function (e) { problem('The microphone is not available (' + e.message + '): your story will be silent.'); })
      .then(function () { return post('/phone/answer'); })
      .catch(function () { problem('The sandbox cannot be reached.'); });
  });
  el('decline').addEventListener('click', function () { post('/phone/decline').catch(function () {}); });
  el('hangup').addEventListener('click', function () {
    if (take) finish('hangup'); else post('/phone/hangup').catch(function () {});
    el('hangup').disabled = true;
    tell('Call ended', 'You hung up.');
  });
  Array.prototype.forEach.call(document.querySelectorAll('[data-key]'), function (b) {
    b.addEventListener('click', function () { press(b.getAttribute('data-key')); });
  });
  document.addEventListener('keydown', function (e) {
    if (!e.ctrlKey && !e.metaKey && !e.altKey && /^[0-9*#]$/.test(e.key)) press(e.key);
  });
  window.addEventListener('pagehide', function () { if (onCall()) post('/phone/hangup').catch(function () {}); });

  var events = new EventSource('/phone/events');
  events.onmessage = function (e) { show(JSON.parse(e.data)); };
  events.onerror = function () {
    if (events.readyState === EventSource.CLOSED) problem('The sandbox stopped: reload this page when it runs again.');
  };
})();
