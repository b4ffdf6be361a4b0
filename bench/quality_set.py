"""A labelled retrieval set that any machine can rebuild offline.

Six clips of four shots; each shot speaks one English line (espeak-ng). Every
line has a Korean query (a paraphrase, not a word-for-word translation) and an
English paraphrase; some have a quoted query with case, spacing and punctuation
changed. Unrelated queries (nothing like them is in the library) measure
abstention. Lines with an even index calibrate the confidence threshold; odd
ones, and the second half of the unrelated queries, evaluate it.
"""

LINES = [
    "The ticket office is closed today.",
    "Take the last train to the harbour.",
    "My grandmother baked bread every Sunday.",
    "The dog chased the cat across the garden.",
    "We lost the map somewhere in the forest.",
    "Turn off the lights before you leave.",
    "The doctor said you need to rest for a week.",
    "I will call you when the plane lands.",
    "The river flooded the village last spring.",
    "Someone stole my bicycle from the school.",
    "The concert starts at eight o'clock tonight.",
    "Please pass me the salt and pepper.",
    "The king has ordered the gates to be closed.",
    "Your coffee is getting cold.",
    "The children are building a snowman outside.",
    "I forgot my password again.",
    "The elevator is broken, use the stairs.",
    "She painted the whole house blue.",
    "The soldiers marched through the city at dawn.",
    "Don't open the door for strangers.",
    "The wedding was cancelled because of the storm.",
    "He won the chess tournament in Paris.",
    "The fridge is empty, we need groceries.",
    "Listen, the birds are singing again.",
]

KOREAN = [
    "오늘 매표소가 문을 닫았어요",
    "항구로 가는 마지막 기차를 타",
    "할머니는 일요일마다 빵을 구우셨다",
    "개가 정원에서 고양이를 쫓아갔다",
    "숲 어딘가에서 지도를 잃어버렸어",
    "나가기 전에 불 꺼",
    "의사가 일주일 동안 쉬어야 한다고 했다",
    "비행기가 착륙하면 전화할게",
    "지난 봄 강이 범람해서 마을이 물에 잠겼다",
    "누가 학교에서 내 자전거를 훔쳐갔어",
    "콘서트는 오늘 밤 8시에 시작한다",
    "소금이랑 후추 좀 건네줘",
    "왕이 성문을 닫으라고 명령했다",
    "커피가 식고 있어",
    "아이들이 밖에서 눈사람을 만들고 있다",
    "비밀번호를 또 잊어버렸어",
    "엘리베이터가 고장 났으니 계단을 이용하세요",
    "그녀는 집 전체를 파란색으로 칠했다",
    "군인들이 새벽에 도시를 행진했다",
    "낯선 사람에게 문을 열어주지 마",
    "폭풍 때문에 결혼식이 취소됐다",
    "그는 파리에서 열린 체스 대회에서 우승했다",
    "냉장고가 비었어, 장 봐야 해",
    "들어봐, 새들이 다시 노래하고 있어",
]

ENGLISH = [
    "the box office is shut today",
    "catching the final train to the port",
    "grandma used to bake bread on sundays",
    "a dog running after a cat in the yard",
    "they can't find the map in the woods",
    "switch the lights off when you go",
    "the doctor orders a week of rest",
    "I'll phone you once the flight touches down",
    "the village was flooded by the river",
    "my bike was stolen at school",
    "the show begins at 8 pm",
    "can you hand me the salt and pepper",
    "the king commands that the gates be shut",
    "your coffee is going cold",
    "kids making a snowman",
    "forgot my password once more",
    "the lift is out of order, take the stairs",
    "she painted her house blue",
    "troops marching through town at sunrise",
    "never let strangers in",
    "the storm ruined the wedding, it was called off",
    "he became the chess champion in paris",
    "nothing in the fridge, time to buy food",
    "the birds have started singing again",
]

# quoted: remembered words with case, spacing and punctuation changed
QUOTED = {
    1: '"THE LAST TRAIN"',
    5: "“turn off the lights”",
    9: "「someone stole my bicycle」",
    15: "'forgot my  password'",
    19: '"Don\'t open the door!"',
    23: "“the birds are singing”",
}

UNRELATED = [
    "우주선이 화성에 착륙한다",
    "a whale jumping out of the ocean",
    "주식 시장이 폭락했다",
    "practising a difficult piano concerto",
    "축구 경기에서 골을 넣었다",
    "the volcano erupted overnight",
    "로봇이 공장에서 자동차를 조립한다",
    "penguins waddling across the ice",
    "수학 시험 점수가 올랐다",
    "a surfer riding a huge wave",
    "기린이 나뭇잎을 먹고 있다",
    "the spreadsheet formula returns an error",
]

SHOTS_PER_CLIP = 4
SHOT_S = 3.5


def clips():
    """{file name: [(line index, line)]}: six clips of four shots."""
    out = {}
    for c in range(len(LINES) // SHOTS_PER_CLIP):
        idx = range(c * SHOTS_PER_CLIP, (c + 1) * SHOTS_PER_CLIP)
        out[f"scene_{c + 1:02d}.mp4"] = [(i, LINES[i]) for i in idx]
    return out


def answer(line_index: int) -> tuple[str, int]:
    """(clip name, shot index) where line ``line_index`` is spoken."""
    return f"scene_{line_index // SHOTS_PER_CLIP + 1:02d}.mp4", line_index % SHOTS_PER_CLIP

# Korean dialogue with Korean paraphrase queries: calibrates the "ko>ko" threshold on the
# text embedder directly (espeak-ng Korean is not transcribable enough to make clips of it).
KOREAN_DIALOGUE = [
    ("내일 아침 일찍 공항에 가야 해", "내일 새벽에 공항 가야 돼"),
    ("이 편지는 절대 열어보지 마", "그 편지 열지 말라고 했잖아"),
    ("엄마가 김치찌개를 끓여 주셨어", "어머니가 김치찌개를 만들어 줬다"),
    ("우리 팀이 결승전에서 이겼다", "결승에서 우리 팀이 승리했어"),
    ("지갑을 택시에 두고 내렸어", "택시에 지갑을 놓고 왔다"),
    ("그 남자는 거짓말을 하고 있어", "저 사람 거짓말하는 거야"),
    ("시험이 다음 주로 미뤄졌대", "시험 날짜가 일주일 연기됐다"),
    ("바다가 보이는 집에서 살고 싶어", "바다 전망 집에 살고 싶다"),
    ("고양이가 창문 밖으로 뛰어내렸다", "고양이가 창밖으로 점프했어"),
    ("회의는 세 시에 시작합니다", "미팅이 3시에 시작해요"),
    ("네가 없으면 나는 아무것도 아니야", "너 없이는 난 아무것도 아니야"),
    ("눈이 너무 많이 와서 학교가 쉬었다", "폭설 때문에 휴교했다"),
]
