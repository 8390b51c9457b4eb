// Waiting Room: chime, speech and vibration for the screens (called from the WASM app).
// Announcements are queued: each one is a chime followed by speech, and the next starts only
// when the previous has finished, so they never overlap or cut each other off.
(function () {
  // the latest announcements, for tests and troubleshooting; a board runs for days
  const LOG_KEEPS = 50;
  const state = { enabled: false, queue: [], busy: false, audio: null, log: [], langs: [] };

  function audioContext() {
    if (!state.audio) {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return null;
      state.audio = new Ctx();
    }
    return state.audio;
  }

  // ピンポーン: two soft tones, about 1.2 s.
  function chime() {
    return new Promise((resolve) => {
      const ctx = audioContext();
      if (!ctx || ctx.state !== 'running') return resolve();
      const tones = [[880, 0], [659.25, 0.45]];
      for (const [freq, at] of tones) {
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        osc.type = 'sine';
        osc.frequency.value = freq;
        gain.gain.setValueAtTime(0.0001, ctx.currentTime + at);
        gain.gain.exponentialRampToValueAtTime(0.4, ctx.currentTime + at + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + at + 0.7);
        osc.connect(gain).connect(ctx.destination);
        osc.start(ctx.currentTime + at);
        osc.stop(ctx.currentTime + at + 0.75);
      }
      setTimeout(resolve, 1200);
    });
  }

  function speak(text, lang) {
    return new Promise((resolve) => {
      const synth = window.speechSynthesis;
      if (!synth || typeof SpeechSynthesisUtterance === 'undefined') return resolve();
      const u = new SpeechSynthesisUtterance(text);
      u.lang = lang || 'ja-JP';
      u.rate = 0.95;
      const voice = synth.getVoices().find((v) => v.lang && v.lang.startsWith(u.lang.slice(0, 2)));
      if (voice) u.voice = voice;
      // never wait forever on a speech engine that does not report its end
      const guard = setTimeout(resolve, 4000 + text.length * 250);
      u.onend = u.onerror = () => { clearTimeout(guard); resolve(); };
      synth.speak(u);
    });
  }

  async function drain() {
    if (state.busy) return;
    state.busy = true;
    while (state.queue.length) {
      const { text, lang } = state.queue.shift();
      state.log.push(text);
      state.langs.push(lang);
      if (state.log.length > LOG_KEEPS) {
        state.log.splice(0, state.log.length - LOG_KEEPS);
        state.langs.splice(0, state.langs.length - LOG_KEEPS);
      }
      if (state.enabled) {
        await chime();
        await speak(text, lang);
        await new Promise((r) => setTimeout(r, 400));
      }
    }
    state.busy = false;
  }

  window.waitingroomSound = {
    get enabled() { return state.enabled; },
    get log() { return state.log.slice(); },
    get langs() { return state.langs.slice(); },
    get pending() { return state.queue.length + (state.busy ? 1 : 0); },
    enable() {
      const ctx = audioContext();
      if (ctx && ctx.state === 'suspended') ctx.resume();
      if (window.speechSynthesis && typeof SpeechSynthesisUtterance !== 'undefined') {
        window.speechSynthesis.speak(new SpeechSynthesisUtterance(''));
      }
      state.enabled = true;
    },
    // lang: the voice's language tag (ja-JP, en-US, zh-CN, ko-KR)
    announce(text, lang) {
      state.queue.push({ text, lang });
      drain();
    },
    alertCalled() {
      if (navigator.vibrate) navigator.vibrate([300, 150, 300, 150, 300]);
      chime();
    },
  };
})();
